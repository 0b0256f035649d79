"""Test-time-scaling studies on a benchmark: the budget / "Wait" sweep, control methods and parallel scaling,
each cached in `runs/<profile>/tts/` by a hash of everything that changes its samples.

Thinking tokens in every table and plot here are counted with the model's own tokenizer (`thinking_tokens`), the
unit budgets are enforced in, so Control, Scaling and the x axes agree. The paper's count (Qwen2.5 tokenizer, the
official line rule) stays in every row as `paper_thinking_tokens`; for s1-32B, a Qwen model, the two differ only by
the line rule.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from pathlib import Path
from typing import NamedTuple

from s1lib.tasks import questions_for
from s1lib.eval.grade import canonical_answers, grade_many
from s1lib.eval.metrics import bootstrap_ci, control, majority_at_k, paper_thinking_tokens, performance, scaling
from s1lib.runfolder import cached, load_cached, settings_hash, store_cached
from s1lib.infer import generate_many
from s1lib.infer.sweep import string_sweep, sweep
from s1lib.paths import runs_dir


ROWS_VERSION = 4  # bump when the rows' fields change, so stale caches are recomputed


def _key(params, benchmark: str, questions, **settings) -> dict:
    """What a cached study's rows depend on: the model, the questions, and the study's own settings."""
    return {
        "model": params.model.name,
        "benchmark": benchmark,
        "questions": [q.id for q in questions],
        **settings,
        "rows_version": ROWS_VERSION,
    }


def accuracy_row(correct: list[bool]) -> dict:
    """Accuracy (%) with its 95% bootstrap interval over questions, n, and the per-question results it came from."""
    acc, lo, hi = bootstrap_ci(correct)
    return {"accuracy": 100 * acc, "ci_low": 100 * lo, "ci_high": 100 * hi, "n": len(correct), "correct": correct}


def _score(questions, gens) -> dict:
    grades = grade_many([(q.kind, g.text, q.gold, q.prompt) for q, g in zip(questions, gens)])
    correct = [r.correct for r in grades]
    n = len(gens)
    return {
        **accuracy_row(correct),
        "grade_reasons": [r.reason for r in grades],
        "thinking_tokens": sum(g.thinking_tokens for g in gens) / n,
        "paper_thinking_tokens": sum(paper_thinking_tokens(g.text) for g in gens) / n,
        "total_tokens": sum(g.total_tokens for g in gens) / n,
        "forced_end_rate": sum(g.forced_end for g in gens) / n,
    }


def scaling_sweep(params, benchmark: str, engine, progress: bool = False) -> list[dict]:
    """One row per (budget, ignore count) with accuracy (%), its interval and mean thinking tokens; plus, for each
    ignore count k, a `control` row at the largest budget: the k-th ignore string is appended and the answer forced
    at once, so any gain of the k-ignore row over it comes from the thinking the string starts, not the string."""
    questions = questions_for(params, benchmark)
    budgets = list(dict.fromkeys(params.sweep.budgets))
    ignores = sorted({0, *params.sweep.ignores})
    base = replace(params.forcing, ignore=0)
    key = _key(params, benchmark, questions, budgets=budgets, ignores=ignores, forcing=asdict(params.forcing))

    controls = [k for k in ignores if k]
    top = largest_budget(budgets)

    def compute():
        results = sweep(engine(), [q.prompt for q in questions], budgets, ignores, base, progress, stop_after=controls)
        return [
            {
                "budget": top if b == "stop after" else b,
                "ignore": k,
                "control": b == "stop after",
                "budget_tokens": gens[0].budget,
                **_score(questions, gens),
            }
            for (b, k), gens in results.items()
        ]

    return cached(runs_dir(params.profile) / "tts" / benchmark / "sweep.json", key, compute)


def string_study(
    params, benchmark: str, engine, strings: list[str], ignore: int = 2, progress: bool = False
) -> list[dict]:
    """Table 4: no extrapolation, then `ignore` ignored ends with each string appended, at the profile's forcing.
    One row per setting in the form of an evaluation's metrics (accuracy as a fraction, labelled by model and
    setting, for `suite.results_table` and `plots.accuracy_bars`), from one run per question up to its first end
    attempt (`infer.sweep.string_sweep`)."""
    questions = questions_for(params, benchmark)
    key = _key(params, benchmark, questions, strings=strings, ignore=ignore, forcing=asdict(params.forcing))

    def compute():
        results = string_sweep(engine(), [q.prompt for q in questions], strings, ignore, params.forcing, progress)
        return [{"setting": string_label(text, ignore), **_score(questions, gens)} for text, gens in results.items()]

    rows = cached(runs_dir(params.profile) / "tts" / benchmark / "strings.json", key, compute)
    return [
        {
            "model": params.model.name,
            "benchmark": benchmark,
            **r,
            **{k: r[k] / 100 for k in ("accuracy", "ci_low", "ci_high")},
        }
        for r in rows
    ]


def string_label(text: str | None, ignore: int) -> str:
    """The paper's row names (`paper.EXTRAPOLATION`): 'no extrapolation', '2x "Wait"', '2x without string'."""
    if text is None:
        return "no extrapolation"
    return f'{ignore}x "{text}"' if text else f"{ignore}x without string"


def largest_budget(budgets: list[int | str]) -> int | str:
    """'auto' when swept (it fills the context), else the largest token budget."""
    return "auto" if "auto" in budgets else max(budgets)


def curves(rows: list[dict]) -> dict[str, list[dict]]:
    """The two curves of Figure 1/4: capping (no ignores, each fixed budget) and extending (ignore counts at the
    largest budget, 'auto' when swept)."""
    rows = [r for r in rows if not r.get("control")]
    top = largest_budget([r["budget"] for r in rows])
    return {
        "budget forcing: max tokens": [r for r in rows if r["ignore"] == 0 and r["budget"] != "auto"],
        'budget forcing: "Wait" x N': sorted([r for r in rows if r["budget"] == top], key=lambda r: r["ignore"]),
    }


def points(rows: list[dict], tokens: str = "thinking_tokens") -> list[tuple[float, float, float, float]]:
    """(tokens, accuracy, its 95% interval's low and high end) per row, for `plots.scaling_curve` (tokens at least 1:
    a log axis has no zero)."""
    return [(max(r[tokens], 1), r["accuracy"], r["ci_low"], r["ci_high"]) for r in rows]


def curve_series(rows: list[dict], capped_waits: bool = False) -> dict[str, list[tuple]]:
    """The points of each curve of `curves`, for `plots.scaling_curve`; with `capped_waits`, also one curve per
    ignore count across the fixed budgets (extending and capping at once)."""
    series = {name: points(pts) for name, pts in curves(rows).items()}
    if capped_waits:
        for k in sorted({r["ignore"] for r in rows if r["ignore"]}):
            series[f'"Wait" x {k}, capped at each budget'] = points(
                [r for r in rows if r["ignore"] == k and not r.get("control") and r["budget"] != "auto"]
            )
    return series


def extension_table(rows: list[dict]):
    """The extending curve as a table: no forcing, "Wait" x k, and each k's string-only control, with the paired
    95% interval of the change against no forcing (points) and mean thinking tokens."""
    import pandas as pd

    from s1lib.eval.metrics import paired_bootstrap

    top = largest_budget([r["budget"] for r in rows])
    at_top = sorted([r for r in rows if r["budget"] == top], key=lambda r: (r["ignore"], r.get("control", False)))
    base = next(r for r in at_top if r["ignore"] == 0)
    table = []
    for r in at_top:
        name = (
            "no forcing"
            if r["ignore"] == 0
            else f'"Wait" x {r["ignore"]}' + (", then end" if r.get("control") else "")
        )
        diff, lo, hi = paired_bootstrap(r["correct"], base["correct"])
        table.append(
            {
                "setting": name,
                "accuracy": r["accuracy"],
                "ci_low": r["ci_low"],
                "ci_high": r["ci_high"],
                "vs no forcing": 100 * diff,
                "change ci_low": 100 * lo,
                "change ci_high": 100 * hi,
                "thinking tokens": r["thinking_tokens"],
                "n": r["n"],
            }
        )
    return pd.DataFrame(table).set_index("setting").round(1)


def tts_metrics(rows: list[dict], bounds: list[tuple[float | None, float | None]]) -> dict:
    """Control (share of settings inside their bounds), Scaling (points per doubling of thinking tokens, see
    `metrics.scaling`) and Performance (best accuracy) for one method's settings; both counts in model tokens."""
    return {
        "control": 100
        * control([r["thinking_tokens"] for r in rows], [lo for lo, _ in bounds], [hi for _, hi in bounds]),
        "scaling": scaling([max(r["thinking_tokens"], 1) for r in rows], [r["accuracy"] for r in rows]),
        "performance": performance([r["accuracy"] for r in rows]),
        "settings": len(rows),
    }


def method_runs(
    params, benchmark: str, engine, methods: dict[str, list[tuple[str, dict, tuple]]], progress: bool = False
) -> dict[str, list[dict]]:
    """Evaluate control methods: {method: [(setting label, overrides, (a_min, a_max)), ...]}. Overrides are
    forcing fields plus an optional `prompt_suffix` appended to each question. Each setting is cached on its own;
    the settings not cached yet are generated together (`generate_many`: greedy ones share batches)."""
    questions = questions_for(params, benchmark)
    runs = []
    for method, settings in methods.items():
        for label, overrides, bounds in settings:
            overrides = dict(overrides)
            suffix = overrides.pop("prompt_suffix", "")
            forcing = replace(params.forcing, **overrides)
            key = _key(params, benchmark, questions, suffix=suffix, forcing=asdict(forcing))
            path = runs_dir(params.profile) / "tts" / benchmark / "methods" / f"{settings_hash(key)}.json"
            runs.append(_MethodRun(method, label, bounds, path, key, forcing, suffix))
    rows = [load_cached(run.path, run.key) for run in runs]
    todo = [i for i, r in enumerate(rows) if r is None]
    if todo:
        jobs = [([q.prompt + runs[i].suffix for q in questions], runs[i].forcing) for i in todo]
        for i, gens in zip(todo, generate_many(engine(), jobs, progress)):
            rows[i] = [_score(questions, gens)]
            store_cached(runs[i].path, runs[i].key, rows[i])
    out: dict[str, list[dict]] = {}
    for run, (row,) in zip(runs, rows):
        out.setdefault(run.method, []).append(
            {"method": run.method, "setting": run.label, "a_min": run.bounds[0], "a_max": run.bounds[1], **row}
        )
    return out


class _MethodRun(NamedTuple):
    method: str
    label: str
    bounds: tuple
    path: Path
    key: dict
    forcing: object
    suffix: str


def parallel_vs_sequential(
    params, benchmark: str, engine, ks: list[int], ignores: list[int], temperature: float = 1.0
) -> dict[str, list[dict]]:
    """Majority voting over k samples at `temperature` vs sequential scaling ("Wait" x N, greedy), each point
    with its mean total tokens per question (`Generation.total_tokens`, all k samples counted for voting)."""
    questions = questions_for(params, benchmark)
    base = params.forcing
    key = _key(
        params, benchmark, questions, ks=ks, ignores=ignores, temperature=temperature, forcing=asdict(params.forcing)
    )

    def compute():
        k_max, prompts = max(ks), [q.prompt for q in questions]
        sampled = ([p for p in prompts for _ in range(k_max)], replace(base, ignore=0, temperature=temperature))
        drawn, *waited = generate_many(engine(), [sampled, *[(prompts, replace(base, ignore=n)) for n in ignores]])
        rows = []
        for k in ks:
            votes, tokens = [], 0
            for i, q in enumerate(questions):
                mine = drawn[i * k_max : i * k_max + k]
                graded = grade_many([(q.kind, g.text, q.gold, q.prompt) for g in mine])
                answers = canonical_answers(q.kind, [g.extracted for g in graded])  # vote on equivalence classes
                votes.append(majority_at_k(answers, [g.correct for g in graded], k))
                tokens += sum(g.total_tokens for g in mine)
            score = {k: v for k, v in accuracy_row(votes).items() if k != "correct"}
            rows.append(
                {"method": "parallel: majority vote", "k": k, **score, "total_tokens": tokens / len(questions)}
            )
        for n, gens in zip(ignores, waited):
            score = _score(questions, gens)
            rows.append(
                {
                    "method": 'sequential: "Wait" x N',
                    "k": n,
                    **{k: score[k] for k in ("accuracy", "ci_low", "ci_high", "total_tokens", "n")},
                }
            )
        return rows

    rows = cached(runs_dir(params.profile) / "tts" / benchmark / "parallel.json", key, compute)
    return {m: [r for r in rows if r["method"] == m] for m in dict.fromkeys(r["method"] for r in rows)}


def sweep_table(sweeps: dict[str, list[dict]]):
    """Control / Scaling / Performance per benchmark and curve (capping and extending)."""
    import pandas as pd

    rows = []
    for benchmark, sweep_rows in sweeps.items():
        for name, points in curves(sweep_rows).items():
            m = tts_metrics(points, [(None, r["budget_tokens"]) for r in points])
            rows.append({"benchmark": benchmark, "curve": name, **m})
    return pd.DataFrame(rows).round(1)


PROMPT_CONDITIONED = ("TCC", "TCC + BF", "SCC", "SCC + BF", "CCC")


def control_study(
    params,
    benchmark: str,
    engine,
    budgets: list[int],
    tokens_per_step: int = 32,
    rejection_tries: int = 4,
    which: tuple[str, ...] = ("BF", *PROMPT_CONDITIONED, "RS"),
) -> dict[str, list[dict]]:
    """Table 3's methods (`which`) at the given token budgets: budget forcing (BF), token-conditional (TCC) and
    step-conditional (SCC) prompts alone and with BF, class-conditional prompts (CCC: short/long), and rejection
    sampling (RS, temperature 1). Step budgets are budget // tokens_per_step, and their usage is checked in tokens
    at that rate. CCC's bounds come from the unprompted run: 'short' must not exceed it, 'long' must not fall
    below it (all are generated together; the bounds only score them)."""
    from s1lib.infer.control import class_conditional, step_conditional, token_conditional

    methods = {
        "none": [("auto", {"max_thinking": "auto"}, (None, None))],
        "BF": [(f"{b}", {"max_thinking": b}, (None, b)) for b in budgets],
        "TCC": [(f"{b}", {"max_thinking": "auto", "prompt_suffix": token_conditional(b)}, (None, b)) for b in budgets],
        "TCC + BF": [(f"{b}", {"max_thinking": b, "prompt_suffix": token_conditional(b)}, (None, b)) for b in budgets],
        "SCC": [
            (
                f"{b // tokens_per_step} steps",
                {"max_thinking": "auto", "prompt_suffix": step_conditional(max(1, b // tokens_per_step))},
                (None, b),
            )
            for b in budgets
        ],
        "SCC + BF": [
            (
                f"{b // tokens_per_step} steps",
                {"max_thinking": b, "prompt_suffix": step_conditional(max(1, b // tokens_per_step))},
                (None, b),
            )
            for b in budgets
        ],
        "CCC": [
            ("short", {"max_thinking": "auto", "prompt_suffix": class_conditional("short")}, (None, None)),
            ("long", {"max_thinking": "auto", "prompt_suffix": class_conditional("long")}, (None, None)),
        ],
        "RS": [
            (f"{b}", {"max_thinking": b, "temperature": 1.0, "rejection_tries": rejection_tries}, (None, b))
            for b in budgets
        ],
    }
    runs = method_runs(params, benchmark, engine, {m: methods[m] for m in ("none", *which)})
    usage = runs.pop("none")[0]["thinking_tokens"]
    for row, (a_min, a_max) in zip(runs.get("CCC", []), [(None, usage), (usage, None)]):
        row.update(a_min=a_min, a_max=a_max)
    return runs


def methods_table(runs: dict[str, list[dict]], paper=()):
    """One row per method: Control / Scaling / Performance / |A|, then the paper's rows."""
    import pandas as pd

    rows = [
        {"method": m, **{k: v for k, v in tts_metrics(r, [(x["a_min"], x["a_max"]) for x in r]).items()}}
        for m, r in runs.items()
    ]
    rows += [
        {
            "method": f"paper: {p.method}",
            "control": p.control,
            "scaling": p.scaling,
            "performance": p.performance,
            "settings": p.n_budgets,
        }
        for p in paper
    ]
    return pd.DataFrame(rows).set_index("method").round(1)


def unbound(runs: dict[str, list[dict]]) -> list[str]:
    """A line per method whose settings all think the same number of tokens: its budgets never bind (the model ends
    before every cap), so its settings cannot differ and its Scaling is undefined."""
    lines = []
    for method, rows in runs.items():
        tokens = [r["thinking_tokens"] for r in rows]
        if len(rows) > 1 and max(tokens) - min(tokens) < 0.5:
            lines.append(
                f"{method}: every setting thinks {tokens[0]:.0f} tokens on average, under each of its budgets: the "
                "model ends its thinking before any cap, so the settings cannot differ"
            )
    return lines
