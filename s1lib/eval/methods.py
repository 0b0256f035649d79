"""Test-time-scaling methods side by side on one token axis (notebook 12, `benchmarks/tts_methods.py`).

Every method is scored on the same questions and placed by its **total tokens per question**: every token of every
sequence it started after the prompt (delimiters, thinking, forced text, answers; all samples, the stopped ones
included). Then each is paired, question by question, with the budget-forcing setting nearest in tokens, so a
difference is read with its paired 95% interval.

Every method decodes at one temperature, `methods.temperature` (0: greedy, as s1 is evaluated; NoWait and AlphaOne
were published sampled, and a method that acts on the "Wait"s a model writes itself can only act where the model
writes some), one sample per question for the sequential methods, each question seeded alike across methods.

* **Budget forcing** (the paper): no forcing, caps at `sweep.budgets` and "Wait" x `sweep.ignores` at the largest.
* **Native cap with a message**, **NoWait**, **AlphaOne**: `Forcing` settings (docs/budget-forcing.md, "Other
  methods, as settings"), each cached on its own (`tts.method_runs`). AlphaOne's reference length is measured by
  the pilot run: the mean thinking length without forcing.
* **Majority vote** and **short-m@k** (arXiv 2505.17813): k samples per question at `methods.temperature`.
  short-m@k stops every sample once m have finished thinking and votes among those m. Samples decode in lockstep
  (one token each per step), so the first m to finish are the m shortest thinkers (ties: the earlier sample), and a
  stopped sample has spent the tokens up to the m-th one's end of thinking. The votes and the tokens are computed
  from the k full samples: a finished sample's answer does not depend on the others, so this is exactly what
  stopping would give, only cheaper to compare at several m.
"""

from __future__ import annotations

import math
from dataclasses import asdict, replace

from s1lib.eval.grade import canonical_answers, grade_many
from s1lib.eval.metrics import majority_at_k, paired_bootstrap
from s1lib.eval.tts import _key, accuracy_row, largest_budget, method_runs
from s1lib.format import encode
from s1lib.infer import generate
from s1lib.paths import runs_dir
from s1lib.runfolder import cached
from s1lib.tasks import questions_for

BUDGET_FORCING = "budget forcing"
SCORE = ("accuracy", "ci_low", "ci_high", "n", "correct", "thinking_tokens", "total_tokens")


METHODS = (BUDGET_FORCING, "native cap", "NoWait", "AlphaOne")  # the single-sample ones; then the parallel ones


def at_temperature(params):
    """The profile with every method's decoding: `methods.temperature`, each question its own seeded draws (0:
    greedy, as the paper evaluates)."""
    return params.model_copy(update={"forcing": replace(params.forcing, temperature=params.methods.temperature)})


def sequential(params, benchmark: str, engine, which=METHODS, progress: bool = False) -> list[dict]:
    """The single-sample methods, one sample per question, each setting cached on its own (`tts.method_runs`):
    budget forcing (no forcing, each cap of `sweep.budgets`, "Wait" x `sweep.ignores` at the largest budget), the
    native cap with its message at each cap, NoWait (a mask, not a budget: uncapped), AlphaOne per alpha (uncapped),
    its reference measured by the run without forcing."""
    p, m = at_temperature(params), params.methods
    caps = [b for b in params.sweep.budgets if b != "auto"]
    top = largest_budget(params.sweep.budgets)
    pilot = ("no forcing", {"max_thinking": top, "ignore": 0}, (None, None))
    reference = reference_length(
        method_runs(p, benchmark, engine, {BUDGET_FORCING: [pilot]}, progress)[BUDGET_FORCING]
    )
    settings = {
        BUDGET_FORCING: [pilot]
        + [(f"cap {b}", {"max_thinking": b, "ignore": 0}, (None, b)) for b in caps]
        + [(f'"Wait" x {k}', {"max_thinking": top, "ignore": k}, (None, None)) for k in params.sweep.ignores],
        "native cap": [
            (
                f"cap {b}",
                {"max_thinking": b, "ignore": 0, "end_message": m.end_message, "forced_answer": ""},
                (None, b),
            )
            for b in caps
        ],
        "NoWait": [("no cap", {"max_thinking": top, "ignore": 0, "suppress": tuple(m.suppress)}, (None, None))],
        "AlphaOne": [
            (
                f"alpha {a:g}",
                {"max_thinking": top, "ignore": 0, "alpha": a, "alpha_reference": reference, "alpha_p": m.alpha_p},
                (None, None),
            )
            for a in m.alphas
        ],
    }
    runs = method_runs(p, benchmark, engine, {k: settings[k] for k in which}, progress)
    return [
        {"method": r["method"], "setting": r["setting"], **{k: r[k] for k in SCORE}}
        for rs in runs.values()
        for r in rs
    ]


def reference_length(rows: list[dict]) -> int:
    """AlphaOne's reference: the mean thinking length of the run without forcing (the pilot)."""
    return max(1, round(next(r["thinking_tokens"] for r in rows if r["setting"] == "no forcing")))


def parallel(params, benchmark: str, engine, progress: bool = False) -> list[dict]:
    """Majority vote over k samples and short-m@k, for every k in `methods.samples` and m < k in `methods.short`
    (greedy samples would all be one: give `methods.temperature` > 0)."""
    questions = questions_for(params, benchmark)
    m = params.methods
    k_max = max(m.samples)
    forcing = replace(at_temperature(params).forcing, ignore=0)
    key = _key(params, benchmark, questions, samples=k_max, forcing=asdict(forcing))

    def draw():
        owners = [q for q in questions for _ in range(k_max)]
        gens = generate(engine(), [q.prompt for q in owners], forcing, progress)
        graded = grade_many([(q.kind, g.text, q.gold, q.prompt) for q, g in zip(owners, gens)])
        head = len(encode(engine().tokenizer, forcing.think_start))
        rows = []
        for i, q in enumerate(questions):
            mine, grades = gens[i * k_max : (i + 1) * k_max], graded[i * k_max : (i + 1) * k_max]
            rows.append(
                {
                    "answers": canonical_answers(q.kind, [r.extracted for r in grades]),  # equivalence classes
                    "correct": [r.correct for r in grades],
                    "thinking": [g.thinking_tokens for g in mine],
                    "total": [g.total_tokens for g in mine],
                    "head": head,
                }
            )
        return rows

    drawn = cached(runs_dir(params.profile) / "tts" / benchmark / "parallel-samples.json", key, draw)
    rows = []
    for k in m.samples:
        rows.append(_vote_row("majority vote", f"k={k}", [majority(d, k) for d in drawn]))
        for short in (s for s in m.short if s < k):
            rows.append(_vote_row(f"short-{short}@k", f"k={k}", [short_m(d, k, short) for d in drawn]))
    return rows


def majority(drawn: dict, k: int) -> tuple[bool, int, int]:
    """(vote correct, thinking tokens, total tokens) of maj@k over the first k samples."""
    return (
        majority_at_k(drawn["answers"], drawn["correct"], k),
        sum(drawn["thinking"][:k]),
        sum(drawn["total"][:k]),
    )


def short_m(drawn: dict, k: int, m: int) -> tuple[bool, int, int]:
    """(vote correct, thinking tokens, total tokens) of short-m@k over the first k samples. Every sequence starts
    with the think delimiter (`head` tokens), then thinks."""
    order = sorted(range(k), key=lambda i: (drawn["thinking"][i], i))
    finished, stopped = order[:m], order[m:]
    end = drawn["thinking"][finished[-1]]  # the step at which the m-th sample ended its thinking
    vote = majority_at_k([drawn["answers"][i] for i in finished], [drawn["correct"][i] for i in finished], m)
    thinking = sum(drawn["thinking"][i] for i in finished) + sum(min(drawn["thinking"][i], end) for i in stopped)
    total = sum(drawn["total"][i] for i in finished) + sum(
        min(drawn["total"][i], drawn["head"] + end) for i in stopped
    )
    return vote, thinking, total


def _vote_row(method: str, setting: str, votes: list[tuple[bool, int, int]]) -> dict:
    n = len(votes)
    return {
        "method": method,
        "setting": setting,
        **accuracy_row([c for c, _, _ in votes]),
        "thinking_tokens": sum(t for _, t, _ in votes) / n,
        "total_tokens": sum(t for _, _, t in votes) / n,
    }


def compare(params, benchmark: str, engine, progress: bool = False) -> list[dict]:
    """Every method's rows on `benchmark`, budget forcing first."""
    return sequential(params, benchmark, engine, progress=progress) + parallel(params, benchmark, engine, progress)


def series(rows: list[dict]) -> dict[str, list[tuple]]:
    """One curve per method (budget forcing's capping and extending apart), points sorted by total tokens, for
    `plots.scaling_curve`."""
    from s1lib.eval.tts import points

    def curve(row) -> str:
        if row["method"] != BUDGET_FORCING:
            return row["method"]
        return 'budget forcing: "Wait" x N' if row["setting"].startswith('"Wait"') else "budget forcing: caps"

    out: dict[str, list[dict]] = {}
    for r in rows:
        out.setdefault(curve(r), []).append(r)
    no_forcing = next((r for r in rows if r["setting"] == "no forcing"), None)
    if no_forcing and 'budget forcing: "Wait" x N' in out:
        out['budget forcing: "Wait" x N'].append(no_forcing)  # the extending curve starts where no forcing is
    return {name: points(sorted(rs, key=lambda r: r["total_tokens"]), "total_tokens") for name, rs in out.items()}


def matched(rows: list[dict]):
    """Each method's setting against the budget-forcing setting nearest in total tokens (on a log scale): both
    accuracies, and the paired difference with its 95% interval (points; `real`: the interval excludes 0); then the
    paired change against no forcing, what the method does on its own."""
    import pandas as pd

    forced = [r for r in rows if r["method"] == BUDGET_FORCING]
    alone = next(r for r in forced if r["setting"] == "no forcing")
    table = []
    for r in rows:
        if r["method"] == BUDGET_FORCING:
            continue
        twin = min(forced, key=lambda f: abs(math.log(max(f["total_tokens"], 1) / max(r["total_tokens"], 1))))
        diff, lo, hi = paired_bootstrap(r["correct"], twin["correct"])
        change, change_lo, change_hi = paired_bootstrap(r["correct"], alone["correct"])
        table.append(
            {
                "method": r["method"],
                "setting": r["setting"],
                "tokens": r["total_tokens"],
                "accuracy": r["accuracy"],
                "budget forcing": twin["setting"],
                "its tokens": twin["total_tokens"],
                "its accuracy": twin["accuracy"],
                "difference": 100 * diff,
                "ci_low": 100 * lo,
                "ci_high": 100 * hi,
                "real": lo > 0 or hi < 0,
                "vs no forcing": 100 * change,
                "change ci_low": 100 * change_lo,
                "change ci_high": 100 * change_hi,
                "n": r["n"],
            }
        )
    return pd.DataFrame(table).set_index(["method", "setting"]).round(1)


def summary(rows: list[dict]):
    """Every row: method, setting, accuracy [95% CI], thinking and total tokens per question."""
    import pandas as pd

    return (
        pd.DataFrame([{k: r[k] for k in ("method", "setting", *SCORE) if k != "correct"} for r in rows])
        .set_index(["method", "setting"])
        .round(1)
    )


def verdicts(table) -> list[str]:
    """One sentence per setting of `matched`'s table: better, worse, or not distinguishable from budget forcing at
    matched tokens, with the interval."""
    lines = []
    for (method, setting), r in table.iterrows():
        if not r["real"]:
            word = "cannot be told apart from"
        else:
            word = "beats" if r["difference"] > 0 else "trails"
        lines.append(
            f"{method} ({setting}, {r['tokens']:.0f} tokens): {r['accuracy']:.1f}% {word} budget forcing "
            f"({r['budget forcing']}, {r['its tokens']:.0f} tokens, {r['its accuracy']:.1f}%): "
            f"{r['difference']:+.1f} points [{r['ci_low']:+.1f}, {r['ci_high']:+.1f}]"
        )
    return lines
