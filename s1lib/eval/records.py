"""An evaluation run folder: the settings that pin it (`config.json`), its samples (`samples.jsonl`, one line per
finished question, flushed and synced), and the summary written at the end (`metrics.json`)."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict
from pathlib import Path

from s1lib.errors import UserError
from s1lib.eval.grade import reason_counts
from s1lib.eval.metrics import bootstrap_ci
from s1lib.paths import write_atomic
from s1lib.provenance import versions
from s1lib.question import Question
from s1lib.runfolder import pin, settings_hash


class EvalError(UserError, RuntimeError):
    """A run folder that holds samples of other (or unknown) settings, or a corrupt samples file."""


def run_config(params, benchmark: str, questions: list[Question]) -> dict:
    """Everything that changes a run's samples (batch size does not: decoding is batch-invariant, see tests)."""
    return {
        "benchmark": benchmark,
        "model": params.model.model_dump(),
        "engine": params.engine.name,
        "forcing": asdict(params.forcing),
        "grader": params.eval.grader,
        "questions": hashlib.sha256("\n".join(q.id for q in questions).encode()).hexdigest()[:16],
        "n_questions": len(questions),
    }


def read_samples(path: Path) -> list[dict]:
    """Finished samples; a last line cut off by a crash is dropped (and rewritten away)."""
    if not path.is_file():
        return []
    rows, lines = [], path.read_text().splitlines()
    for i, line in enumerate(lines):
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            if i != len(lines) - 1:
                raise EvalError(f"{path} line {i + 1} is corrupt (not the last line, so not an interrupted write)")
            write_atomic(path, "".join(json.dumps(r) + "\n" for r in rows))
    return rows


def check_folder(out: Path, config: dict, has_samples: bool) -> str:
    """Pin `out` to these settings (`config.json`), or refuse a folder whose samples came from others; the hash."""
    return pin(out, "config.json", config, has_samples, EvalError, "samples")


def append_sample(fh, row: dict) -> None:
    """One finished sample, on disk before the next one is generated."""
    fh.write(json.dumps(row) + "\n")
    fh.flush()
    os.fsync(fh.fileno())


def write_metrics(out: Path, samples: list[dict], config: dict, extra: dict) -> dict:
    """`out/metrics.json` (atomically) from the samples; returns the metrics."""
    metrics = summarize(samples, config, extra)
    write_atomic(out / "metrics.json", json.dumps(metrics, indent=2))
    return metrics


def summarize(samples: list[dict], config: dict, extra: dict | None = None) -> dict:
    correct = [s["correct"] for s in samples]
    acc, lo, hi = bootstrap_ci(correct)
    n = len(samples)

    def mean(key):
        return sum(s[key] for s in samples) / n if n else float("nan")

    return {
        "benchmark": config["benchmark"],
        "n": n,
        "accuracy": acc,
        "ci_low": lo,
        "ci_high": hi,
        "mean_thinking_tokens": mean("paper_thinking_tokens"),
        "mean_model_thinking_tokens": mean("thinking_tokens"),
        "forced_end_rate": mean("forced_end"),
        "mean_ignored": mean("n_ignored"),
        "grade_reasons": reason_counts([s.get("grade_reason") for s in samples]),
        "grade_timeouts": sum(s.get("grade_reason") == "timeout" for s in samples),
        "config_hash": settings_hash(config),
        "config": config,
        "versions": versions(),
        **(extra or {}),
    }
