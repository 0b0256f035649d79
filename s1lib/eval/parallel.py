"""Data-parallel evaluation: `engine.data_parallel_size` engine processes, each on its own `tensor_parallel_size`
GPUs, each evaluating every n-th question into `out/shard-i/` (resumable on its own), merged into `out/` in the
benchmark's order. vLLM's `LLM(data_parallel_size=...)` refuses single-process use, hence one process per replica.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from s1lib.errors import UserError
from s1lib.paths import write_atomic


class ParallelEvalError(UserError, RuntimeError):
    """Too few GPUs for the replicas, or a replica that failed (its shard resumes on the next run)."""


def gpu_groups(replicas: int, per_replica: int, env=os.environ) -> list[str | None]:
    """CUDA_VISIBLE_DEVICES for each replica: consecutive groups of the visible GPUs (None: leave it unset)."""
    visible = env.get("CUDA_VISIBLE_DEVICES")
    if visible is None:
        try:
            import torch

            count = torch.cuda.device_count()
        except ImportError:
            count = 0
        if count == 0:
            return [None] * replicas
        visible = ",".join(str(i) for i in range(count))
    devices = [d for d in visible.split(",") if d.strip()]
    if len(devices) < replicas * per_replica:
        raise ParallelEvalError(
            f"{replicas} replicas x {per_replica} GPUs need {replicas * per_replica} GPUs; {len(devices)} are visible"
        )
    return [",".join(devices[i * per_replica : (i + 1) * per_replica]) for i in range(replicas)]


def evaluate_parallel(params, benchmark: str, out: str | Path, progress: bool = True) -> dict:
    from s1lib.tasks import questions_for
    from s1lib.eval.records import check_folder, read_samples, run_config, write_metrics

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    n = params.engine.data_parallel_size
    questions = questions_for(params, benchmark)
    config = run_config(params, benchmark, questions)
    check_folder(out, config, has_samples=(out / "samples.jsonl").is_file())
    params_file = out / "params.yaml"
    write_atomic(params_file, yaml.safe_dump(params.model_dump(), sort_keys=False))
    procs = []
    for i, devices in enumerate(gpu_groups(n, params.engine.tensor_parallel_size)):
        env = dict(os.environ) if devices is None else {**os.environ, "CUDA_VISIBLE_DEVICES": devices}
        cmd = [
            sys.executable,
            "-m",
            "s1lib",
            "eval",
            "--params",
            str(params_file),
            "--benchmark",
            benchmark,
            "--out",
            str(out / f"shard-{i}"),
            "--shard",
            str(i),
            str(n),
        ]
        procs.append(
            subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=None if progress else subprocess.DEVNULL)
        )
    failed = [i for i, p in enumerate(procs) if p.wait() != 0]
    if failed:
        raise ParallelEvalError(f"evaluation shard(s) {failed} failed; rerun to resume them ({out}/shard-*)")
    by_id = {s["id"]: s for i in range(n) for s in read_samples(out / f"shard-{i}" / "samples.jsonl")}
    samples = [by_id[q.id] for q in questions]
    write_atomic(out / "samples.jsonl", "".join(json.dumps(s) + "\n" for s in samples))
    return write_metrics(
        out, samples, config, {"engine": config["engine"], "grader": params.eval.grader, "data_parallel_size": n}
    )
