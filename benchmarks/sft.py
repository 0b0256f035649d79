"""SFT cost on CPU with the embedded model: tokens/s, seconds/step and peak memory for sequence lengths
512 / 1024 / 2048, with and without gradient checkpointing (each case in a fresh subprocess); seconds/step of bf16
mixed-precision steps with sdpa and eager attention (the choice `s1lib.train.sft.training_attention` makes); the
share of computed tokens that are padding under the recipe's batching; and the trainer's CPU loss on the miniature's
batch of 16 traces in one pass against length-sorted passes (`MICRO_ROWS`). Prints tables, writes
runs/benchmarks/sft.json.

    S1LIB_DATA_DIR=../shared/data python benchmarks/sft.py [--only steps|attention|padding|passes]
"""

from __future__ import annotations

import json
import random
import resource
import subprocess
import sys
import time

from common import ROOT, write_result

TAG = "RESULT "
LENGTHS, STEPS = (512, 1024, 2048), 3
ATTENTION_SHAPES = ((16, 108), (1, 512), (2, 1024))  # (sequences, tokens): the miniature's batch, smoke, longer


def step_case(length: int, checkpointing: bool) -> dict:
    """One optimizer step = forward + backward + AdamW on one sequence (micro-batch 1, as the recipe)."""
    import torch

    from s1lib.models import load_model

    torch.manual_seed(0)
    model, tok = load_model("smollm2-135m")
    model.train()
    if checkpointing:
        model.gradient_checkpointing_enable()
        model.config.use_cache = False
    optim = torch.optim.AdamW(model.parameters(), lr=1e-5, betas=(0.9, 0.95), weight_decay=1e-4)
    ids = torch.randint(100, len(tok), (1, length))
    times = []
    for _ in range(STEPS + 1):  # the first step warms up allocators and is not timed
        start = time.perf_counter()
        loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        optim.step()
        optim.zero_grad(set_to_none=True)
        times.append(time.perf_counter() - start)
    seconds = sum(times[1:]) / STEPS
    return {
        "seconds_per_step": seconds,
        "tokens_per_s": length / seconds,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def attention_case(attention: str, batch: int, length: int) -> dict:
    """One bf16 mixed-precision optimizer step on `batch` x `length` tokens with the given attention; half the
    sequences end a quarter early (padding, so an attention mask, as in the trainer's batches)."""
    import torch
    from transformers import AutoModelForCausalLM

    from s1lib.models import resolve_model

    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(
        resolve_model("smollm2-135m"), dtype=torch.float32, attn_implementation=attention
    )
    model.train()
    optim = torch.optim.AdamW(model.parameters(), lr=1e-5)
    ids = torch.randint(100, 49000, (batch, length))
    mask = torch.ones_like(ids)
    mask[: batch // 2, -length // 4 :] = 0
    labels = ids.masked_fill(mask == 0, -100)
    times = []
    for _ in range(STEPS + 1):
        start = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16):
            loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        optim.step()
        optim.zero_grad(set_to_none=True)
        times.append(time.perf_counter() - start)
    return {"seconds_per_step": sum(times[1:]) / STEPS}


def padding_share(lengths: list[int], micro_batch: int, sort: bool, seed: int = 0) -> float:
    """Share of computed tokens that are padding when batches are padded to their longest sequence."""
    order = sorted(lengths) if sort else random.Random(seed).sample(lengths, len(lengths))
    batches = [order[i : i + micro_batch] for i in range(0, len(order), micro_batch)]
    computed = sum(max(b) * len(b) for b in batches)
    return 1 - sum(lengths) / computed


def main() -> None:
    if "--attention-case" in sys.argv:
        attention, batch, length = sys.argv[sys.argv.index("--attention-case") + 1].split(":")
        print(TAG + json.dumps(attention_case(attention, int(batch), int(length))))
        return
    if "--case" in sys.argv:
        length, ckpt = sys.argv[sys.argv.index("--case") + 1].split(":")
        print(TAG + json.dumps(step_case(int(length), ckpt == "1")))
        return
    only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else None
    results, attention, padding, passes = {}, {}, {}, {}
    if only in (None, "steps"):
        results = step_table()
    if only in (None, "attention"):
        attention = attention_table()
    if only in (None, "padding"):
        padding = padding_table()
    if only in (None, "passes"):
        passes = passes_table()
    write_result(
        "sft" if only is None else f"sft-{only}",
        {"steps": results, "attention": attention, "padding_share": padding, "passes": passes},
    )


def run_case(flag: str, case: str) -> dict:
    done = subprocess.run([sys.executable, __file__, flag, case], capture_output=True, text=True, cwd=ROOT)
    if done.returncode:
        raise RuntimeError(done.stderr[-2000:])
    return json.loads(next(x for x in reversed(done.stdout.splitlines()) if x.startswith(TAG))[len(TAG) :])


def step_table() -> dict:
    results = {}
    print(f"{'length':>7}{'ckpt':>6}{'s/step':>9}{'tok/s':>9}{'peak MB':>9}")
    for length in LENGTHS:
        for ckpt in (False, True):
            r = run_case("--case", f"{length}:{int(ckpt)}")
            results[f"{length}{'-ckpt' if ckpt else ''}"] = {"length": length, "checkpointing": ckpt, **r}
            print(
                f"{length:>7}{'yes' if ckpt else 'no':>6}{r['seconds_per_step']:>9.2f}{r['tokens_per_s']:>9.0f}"
                f"{r['peak_mb']:>9.0f}"
            )
    return results


def attention_table() -> dict:
    from s1lib.params import load_params
    from s1lib.train.sft import training_attention

    results = {}
    print(f"{'batch x length':>15}{'sdpa s/step':>13}{'eager s/step':>14}{'eager/sdpa':>12}{'trainer picks':>15}")
    for batch, length in ATTENTION_SHAPES:
        sdpa, eager = (
            run_case("--attention-case", f"{a}:{batch}:{length}")["seconds_per_step"] for a in ("sdpa", "eager")
        )
        picks = training_attention(load_params("params/smoke.yaml", {"train": {"max_length": length}})) or "sdpa"
        results[f"{batch}x{length}"] = {"sdpa": sdpa, "eager": eager, "picks": picks}
        print(f"{f'{batch} x {length}':>15}{sdpa:>13.2f}{eager:>14.2f}{eager / sdpa:>12.2f}{picks:>15}")
    return results


def padding_table() -> dict:
    from s1lib.data.pool import load_pool
    from s1lib.data.features import trace_lengths

    rows = random.Random(0).sample(load_pool("smoke-pool"), 1000)
    lengths = [n + 60 for n in trace_lengths(["\n".join(r["thinking_trajectories"]) for r in rows])]  # + template
    padding = {
        "micro-batch 1 (the recipe)": padding_share(lengths, 1, False),
        "micro-batch 4, random order": padding_share(lengths, 4, False),
        "micro-batch 4, length-sorted": padding_share(lengths, 4, True),
    }
    for name, share in padding.items():
        print(f"padding share, {name:<30}{100 * share:6.1f}%")
    return padding


def passes_table() -> dict:
    """Forward and backward of the trainer's CPU loss (token weighting) on the miniature's first 16 training traces,
    with `MICRO_ROWS` at 16 (one pass, padded to the longest trace), 8 and 4 (length-sorted passes)."""
    import torch

    import s1lib.train.trainer as trainer
    from s1lib.mini.letters import training_rows
    from s1lib.models import load_model
    from s1lib.params import load_params
    from s1lib.train.dataset import tokenize_example

    model, tok = load_model("smollm2-135m")
    model.train()
    rows = training_rows(load_params(ROOT / "params" / "smoke.yaml").mini)[:16]
    examples = [tokenize_example(tok, r["question"], r["thinking_trajectories"], r["attempt"], 256) for r in rows]
    width = max(len(e["input_ids"]) for e in examples)
    ids = torch.tensor([e["input_ids"] + [tok.pad_token_id or 0] * (width - len(e["input_ids"])) for e in examples])
    mask = torch.tensor([[1] * len(e["input_ids"]) + [0] * (width - len(e["input_ids"])) for e in examples])
    trained = torch.tensor([e["completion_mask"] + [0] * (width - len(e["input_ids"])) for e in examples])
    inputs = {"input_ids": ids, "attention_mask": mask, "labels": ids.masked_fill(trained == 0, -100)}
    lengths = sorted(mask.sum(-1).tolist())
    results = {}
    print(f"{'rows per pass':>14}{'tokens fed':>12}{'s/step':>9}{'loss':>9}")
    for micro in (16, 8, 4):
        trainer.MICRO_ROWS = micro
        fed = sum(max(lengths[i : i + micro]) * len(lengths[i : i + micro]) for i in range(0, len(lengths), micro))
        times = []
        for _ in range(STEPS + 1):  # the first pass warms up allocators and is not timed
            start = time.perf_counter()
            logits, targets, _ = trainer.trained_logits_by_length(model, model.get_output_embeddings(), inputs)
            loss = torch.nn.functional.cross_entropy(logits.float(), targets)
            loss.backward()
            model.zero_grad(set_to_none=True)
            times.append(time.perf_counter() - start)
        results[str(micro)] = {
            "tokens_fed": fed,
            "real_tokens": sum(lengths),
            "seconds_per_step": sum(times[1:]) / STEPS,
            "loss": loss.item(),
        }
        print(f"{micro:>14}{fed:>12}{results[str(micro)]['seconds_per_step']:>9.2f}{loss.item():>9.4f}")
    return results


if __name__ == "__main__":
    main()
