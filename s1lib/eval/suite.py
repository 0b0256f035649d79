"""Several evaluations at once: models x forcing settings x benchmarks, each in its own resumable run folder
under `runs/<profile>/eval/`, with one engine per model loaded only when a run has work left."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from s1lib.eval.runner import evaluate, evaluate_many
from s1lib.params import with_model
from s1lib.paths import runs_dir

NO_FORCING = {"max_thinking": None, "ignore": 0, "min_thinking": 0}


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "run"


def run_dir(profile: str, model_label: str, setting: str, benchmark: str) -> Path:
    return runs_dir(profile) / "eval" / slug(model_label) / slug(setting) / benchmark


def evaluate_grid(
    params,
    models: dict[str, str],
    settings: dict[str, dict],
    benchmarks: list[str] | None = None,
    progress: bool = True,
) -> list[dict]:
    """Evaluate every (model, setting, benchmark); `models` maps a label to a model spec, `settings` maps a
    label to overrides of the profile's `forcing` section. Returns one metrics dict per run, labelled. A model's
    runs share its engine's batches (`evaluate_many`), or its data-parallel replicas one run at a time."""
    from s1lib.infer import lazy_engine

    results = []
    for label, spec in models.items():
        pointed = with_model(params, spec)
        cells = [
            (setting, benchmark, pointed.model_copy(update={"forcing": replace(params.forcing, **overrides)}))
            for setting, overrides in settings.items()
            for benchmark in benchmarks or params.eval.benchmarks
        ]
        runs = [(p, benchmark, run_dir(params.profile, label, setting, benchmark)) for setting, benchmark, p in cells]
        if pointed.engine.data_parallel_size > 1:
            metrics = [evaluate(*run, progress=progress) for run in runs]
        else:  # the engine is loaded only when a run has work left
            metrics = evaluate_many(runs, engine=lazy_engine(pointed), progress=progress)
        results += [
            {"model": label, "setting": setting, "profile": params.profile, **m}
            for (setting, _, _), m in zip(cells, metrics)
        ]
    return results


def results_table(results: list[dict], paper_rows=()):
    """A DataFrame: one row per run (accuracy % [95% CI], n) and per paper row, one column per benchmark."""
    import pandas as pd

    from s1lib.models import display_name

    benchmarks = list(dict.fromkeys(r["benchmark"] for r in results))
    rows = {}
    for r in results:
        cell = f"{100 * r['accuracy']:.1f} [{100 * r['ci_low']:.1f}, {100 * r['ci_high']:.1f}] (n={r['n']})"
        rows.setdefault(f"{display_name(r['model'])} · {r['setting']}", {})[r["benchmark"]] = cell
    for row in paper_rows:
        if all(row.values.get(b) is None for b in benchmarks):
            continue  # the paper has no number for any of these benchmarks
        mark = "" if row.confirmed else " (unconfirmed)"
        rows[f"paper: {row.setting}{mark}"] = {
            b: "—" if row.values.get(b) is None else f"{row.values[b]:.1f}" for b in benchmarks
        }
    return pd.DataFrame.from_dict(rows, orient="index", columns=benchmarks).fillna("—")


def paired_differences(results: list[dict], reference: str, setting: str | None = None) -> list[dict]:
    """Each run's accuracy and its paired-bootstrap difference from the `reference` model's run of the same
    benchmark and setting (model - reference, points, 95% interval), over the questions both answered."""
    from s1lib.eval.metrics import paired_bootstrap

    out = []
    for r in results:
        if setting and r["setting"] != setting:
            continue
        ref = next(
            x
            for x in results
            if x["model"] == reference and x["benchmark"] == r["benchmark"] and x["setting"] == r["setting"]
        )
        mine, theirs = correct_by_id(r), correct_by_id(ref)
        ids = sorted(mine)
        diff, lo, hi = paired_bootstrap([mine[i] for i in ids], [theirs[i] for i in ids])
        out.append(
            {
                "model": r["model"],
                "benchmark": r["benchmark"],
                "setting": r["setting"],
                "accuracy": 100 * sum(mine.values()) / len(mine),
                "diff": 100 * diff,
                "ci_low": 100 * lo,
                "ci_high": 100 * hi,
                "n": len(ids),
            }
        )
    return out


def correct_by_id(run: dict) -> dict[str, bool]:
    """question id -> whether a run (a result of `evaluate_grid`) answered it correctly."""
    from s1lib.eval.runner import read_samples

    return {s["id"]: s["correct"] for s in read_samples(run_dir_of(run) / "samples.jsonl")}


def paired_table(results: list[dict], reference: str, setting: str | None = None, column: str = "benchmark"):
    """Accuracy of each model beside a reference model, with the paired 95% interval of the difference, one column
    per benchmark (or per setting): the form of the paper's data-ablation table."""
    import pandas as pd

    rows: dict[str, dict] = {}
    for d in paired_differences(results, reference, setting):
        shown = "" if d["model"] == reference else f" [{d['ci_low']:+.1f}, {d['ci_high']:+.1f}]"
        rows.setdefault(d["model"], {})[d[column]] = f"{d['accuracy']:.1f}{shown}"
    return pd.DataFrame.from_dict(rows, orient="index")


def run_dir_of(result: dict) -> Path:
    return run_dir(result["profile"], result["model"], result["setting"], result["benchmark"])
