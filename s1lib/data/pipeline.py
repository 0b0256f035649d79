"""The whole data path: load a pool, check rows, decontaminate, featurize, select; counts at every stage."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from s1lib.data.decontaminate import Removed, decontaminate
from s1lib.data.features import featurize
from s1lib.data.pool import Problem, check_rows, load_pool
from s1lib.data.select import Selection, ablation
from s1lib.data.sources import DataUnavailable

log = logging.getLogger(__name__)
INTERNAL = ("qhash", "length", "hard", "trace_correct")


@dataclass
class Prepared:
    rows: list[dict]  # featurized, decontaminated, well-formed
    funnel: list[tuple[str, int]]
    problems: list[Problem] = field(default_factory=list)
    removed: list[Removed] = field(default_factory=list)
    skipped_eval_sets: dict[str, str] = field(default_factory=dict)


def eval_questions(names: list[str]) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Question texts of each evaluation set (a benchmark, or a decontamination-only set such as `aime22-24` or
    `livecodebench-v4`); sets that cannot be reached (GPQA without hub access) are skipped with the reason, while a
    set that is there but malformed stops the pipeline."""
    from s1lib.data.sources import REGISTRY, load
    from s1lib.tasks import load_questions

    found, skipped = {}, {}
    for name in names:
        try:
            if REGISTRY.get(name) and REGISTRY[name].text:
                found[name] = [row[REGISTRY[name].text] for row in load(name)]
            else:
                found[name] = [q.prompt.split("\n\nA) ")[0] for q in load_questions(name)]
        except DataUnavailable as err:
            skipped[name] = str(err).split(".")[0]
            log.warning("decontamination skips %s: %s", name, skipped[name])
    return found, skipped


def prepare(
    pool: str,
    eval_sets: list[str],
    ngram: int = 8,
    min_level: int = 3,
    rows: list[dict] | None = None,
    evals: dict[str, list[str]] | None = None,
    min_length: int = 2000,
) -> Prepared:
    """`rows` instead of loading `pool`; `evals` (name -> question texts) beside the named `eval_sets`;
    `min_level` / `min_length`: the difficulty proxies of `featurize` where a pool has no Qwen correctness."""
    raw = rows if rows is not None else load_pool(pool)
    checked = check_rows(raw)
    found, skipped = eval_questions(eval_sets)
    kept, removed = decontaminate(checked.rows, {**found, **(evals or {})}, ngram)
    featurized = featurize(kept, min_level=min_level, min_length=min_length)
    funnel = [("loaded", len(raw)), ("well-formed", len(checked.rows)), ("decontaminated", len(kept))]
    return Prepared(featurized, funnel, checked.problems, removed, skipped)


def select(prepared: Prepared, method: str, n: int, seed: int = 0, math_seed_length: int = 5600) -> Selection:
    sel = ablation(prepared.rows, method, n, seed, math_seed_length)
    sel.funnel = prepared.funnel + sel.funnel[1:]
    return sel


def public_row(row: dict) -> dict:
    """A selected row in the s1 schema: the featurized columns under their released names."""
    out = {k: v for k, v in row.items() if k not in INTERNAL}
    out["gemini_length"] = row["length"]
    return out


def write_selection(sel: Selection, out: str | Path, meta: dict) -> tuple[Path, Path]:
    """`out` (JSONL rows) and `out` with `.summary.json` (funnel, drop reasons, domain counts, settings)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w") as fh:
        for row in sel.rows:
            fh.write(json.dumps(public_row(row)) + "\n")
    domains: dict[str, int] = {}
    for r in sel.rows:
        domains[r["domain"]] = domains.get(r["domain"], 0) + 1
    summary = {
        **meta,
        "funnel": sel.funnel,
        "dropped": sel.dropped,
        "benchmark_seeds": sel.n_seeds,
        "domains": dict(sorted(domains.items(), key=lambda kv: -kv[1])),
    }
    summary_path = out.with_suffix(".summary.json")
    summary_path.write_text(json.dumps(summary, indent=2))
    return out, summary_path


def decontamination_report(prepared: Prepared, examples: int = 5):
    """(counts per evaluation set, a few removed questions with the n-gram that matched) as DataFrames."""
    import pandas as pd

    removed = pd.DataFrame(
        [
            {"row": r.row, "against": r.against, "ngram": r.ngram, "question": r.question[:160]}
            for r in prepared.removed
        ],
        columns=["row", "against", "ngram", "question"],
    )
    counts = removed.groupby("against").size().rename("removed").to_frame() if len(removed) else removed
    return counts, removed.head(examples)


def ensure_selection(params, method: str) -> Path:
    """`runs/<profile>/data/<method>.jsonl`, selected now with the profile's data settings if it is missing."""
    from s1lib.paths import runs_dir

    path = runs_dir(params.profile) / "data" / f"{method}.jsonl"
    if not path.is_file():
        d = params.data
        prepared = prepare(d.pool, d.decontaminate_against, d.ngram, d.min_level)
        write_selection(
            select(prepared, method, d.selection_size, d.seed, d.math_seed_length),
            path,
            {"pool": d.pool, "method": method, "n": d.selection_size, "seed": d.seed},
        )
    return path
