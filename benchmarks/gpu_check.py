"""The GPU path end to end, for a machine with one CUDA GPU: the `gpu-1.5b` profile's SFT for a few steps (loss
falls, a checkpoint is written, a killed run resumes from it) and a budget-forced evaluation of a few AIME questions
with the real vLLM engine. Prints a table and writes runs/benchmarks/gpu_check.json.

    python benchmarks/gpu_check.py [--model Qwen/Qwen2.5-1.5B-Instruct] [--subset s1K] [--steps 6] [--questions 4]

`--model` and `--subset` take local folders and files on a machine without the hub.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, write_result


def small_subset(subset: str, rows: int, folder: Path) -> str:
    """The first `rows` training rows, written to a file (the real s1K traces are long: this keeps the check short)."""
    from s1lib.train.dataset import load_rows

    path = folder / "subset.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in load_rows(subset, "gpu-1.5b")[:rows]))
    return str(path)


def train_steps(params_file: str, subset: str, out: Path, crash_at: int | None) -> subprocess.CompletedProcess:
    """`s1lib train` in a subprocess; with `crash_at`, killed once that step's checkpoint exists."""
    cmd = [sys.executable, "-m", "s1lib", "train", "--params", params_file, "--subset", subset, "--out", str(out)]
    if crash_at is None:
        return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    while proc.poll() is None and not (out / f"checkpoint-{crash_at}").is_dir():
        time.sleep(1)
    time.sleep(5)  # let the checkpoint finish writing
    proc.kill()
    proc.wait()
    return subprocess.CompletedProcess(cmd, proc.returncode)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="Qwen/Qwen2.5-1.5B-Instruct")
    parser.add_argument("--subset", default="s1K")
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--questions", type=int, default=4)
    args = parser.parse_args()

    import torch

    if not torch.cuda.is_available():
        sys.exit("gpu_check needs a CUDA GPU (run it where the device tool lends one)")
    from s1lib.params import load_params
    from s1lib.train import read_log

    results: dict = {"gpu": torch.cuda.get_device_name(0), "model": args.model}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        profile = load_params(ROOT / "params" / "gpu-1.5b.yaml").model_dump()
        profile["model"]["name"] = args.model
        profile["train"].update(max_steps=args.steps, save_steps=2, global_batch_size=2, max_length=4096,
                                keep_checkpoints=True)
        params_file = folder / "gpu-check.yaml"
        import yaml

        params_file.write_text(yaml.safe_dump(profile))
        subset, out = small_subset(args.subset, 2 * args.steps, folder), folder / "sft"

        start = time.time()
        train_steps(str(params_file), subset, out, crash_at=2)
        results["killed_after_checkpoint"] = sorted(p.name for p in out.glob("checkpoint-*"))
        done = train_steps(str(params_file), subset, out, crash_at=None)
        results["train_seconds"] = round(time.time() - start, 1)
        if done.returncode != 0:
            results["train_error"] = done.stderr[-2000:]
        else:
            log = read_log(out / "log.jsonl")
            begins = [json.loads(x)["step"] for x in (out / "log.jsonl").read_text().splitlines() if "train_begin" in x]
            results.update(first_loss=log[0]["loss"], last_loss=log[-1]["loss"], steps=log[-1]["step"],
                           resumed_from=begins[1:], final=(out / "final" / "model.safetensors").is_file()
                           or any((out / "final").glob("model-*.safetensors")))

        from s1lib.eval.runner import evaluate

        params = load_params(params_file, {"eval": {"limit": args.questions}, "forcing": {"max_thinking": 512,
                             "max_generation": 4096}, "engine": {"name": "vllm", "max_model_len": 4096}})
        start = time.time()
        metrics = evaluate(params, "aime24", folder / "eval", progress=False)
        results["eval"] = {k: metrics[k] for k in ("n", "accuracy", "mean_model_thinking_tokens", "forced_end_rate")}
        results["eval_seconds"] = round(time.time() - start, 1)

    for key, value in results.items():
        print(f"{key:<26}{value}")
    checks = {"loss falls": results.get("last_loss", 1e9) < results.get("first_loss", 0),
              "checkpoint written": bool(results["killed_after_checkpoint"]),
              "resumed": bool(results.get("resumed_from")), "final model": bool(results.get("final")),
              "thinking within budget": results["eval"]["mean_model_thinking_tokens"] <= 512}
    for name, ok in checks.items():
        print(f"{'PASS' if ok else 'FAIL'}  {name}")
    results["checks"] = checks
    write_result("gpu_check", results)


if __name__ == "__main__":
    main()
