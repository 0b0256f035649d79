"""A miniature of the s1 59K pool: procedural problems from `domains` in the pool's schema, with the skews of a
real pool (most rows easy, domains of very different sizes) and planted defects, and a held-out test set that
covers every domain and level evenly.

Like a teacher's traces, most traces of easy problems answer at a glance and most traces of hard problems work the
procedure out (`worked_shares`, by level), so trace length grows with difficulty, and a model fine-tuned mostly on
easy rows learns to answer at a glance.

Planted defects (shares of the pool, `MiniPoolParams`), and what in `s1lib.data` deals with each:

* wrong answers: the steps are right but the conclusion is off by one or two (`isgeminicorrect` false). Nothing
  drops them, as in the paper, whose s1K keeps incorrect traces; they only disqualify a row as a benchmark seed.
* formatting artefacts: a question with an image link, "p3." numbering or bold digits, scraped together with a
  garbled trace that repeats its steps three times (so these rows are among the longest). The quality filters
  drop them.
* duplicates: a row repeated verbatim; `check_rows` drops the copies.
* test overlap: a test question in the pool; 8-gram decontamination drops it.

Everything is a function of the seed: the same settings give the same rows in the same order.
"""

from __future__ import annotations

import json
import random

from s1lib.mini.domains import DOMAINS, LEVELS, Problem
from s1lib.question import Question

ARTEFACTS = ("![Image](figure-{k}.png) {q}", "p{k}. {q}", "{q} Give **{k}2** as a check.")


def held_out_problems(spec) -> list[Problem]:
    """`spec.test_per_cell` distinct problems for every domain and level, in a fixed order."""
    rng = random.Random(f"{spec.seed}:test")
    out = []
    for name, make in DOMAINS.items():
        for level in LEVELS:
            seen: set[str] = set()
            for _ in range(1000 * spec.test_per_cell):
                if len(seen) == spec.test_per_cell:
                    break
                problem = make(rng, level)
                if problem.question not in seen:
                    seen.add(problem.question)
                    out.append(problem)
            else:
                raise ValueError(f"cannot draw {spec.test_per_cell} distinct {name} problems at level {level}")
    return out


def evaluation_questions(spec) -> list[Question]:
    """The held-out problems as evaluation questions (benchmark `mini-pool`), ids `<domain>-<level>-<i>`."""
    return [
        Question(
            f"{p.domain}-{p.level}-{i}", p.question, str(p.answer), "integer", {"domain": p.domain, "level": p.level}
        )
        for i, p in enumerate(held_out_problems(spec))
    ]


def row(
    problem: Problem,
    defect: str | None = None,
    attempt: int | None = None,
    trace: str | None = None,
    question: str | None = None,
) -> dict:
    attempt = problem.answer if attempt is None else attempt
    return {
        "question": question or problem.question,
        "solution": str(problem.answer),
        "thinking_trajectories": [trace or problem.trace()],
        "attempt": str(attempt),
        "cot_type": "math",
        "source_type": f"mini/{problem.domain}",
        "domain": problem.domain,
        "isgeminicorrect": attempt == problem.answer,
        "metadata": json.dumps({"level": problem.level, "defect": defect}),
    }


def wrong(rng: random.Random, problem: Problem, worked: bool) -> dict:
    attempt = problem.answer + rng.choice((-2, -1, 1, 2))
    trace = problem.trace() if worked else problem.brief()
    return row(
        problem, "wrong answer", attempt, trace.replace(f"answer is {problem.answer}.", f"answer is {attempt}.")
    )


def artefact(rng: random.Random, problem: Problem) -> dict:
    question = rng.choice(ARTEFACTS).format(k=rng.randint(1, 99), q=problem.question)
    return row(problem, "formatting artefact", trace=" ".join([problem.trace()] * 3), question=question)


def draw(rng: random.Random, weights: dict) -> str | int:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def pool_rows(spec, test: list[Problem]) -> list[dict]:
    """`spec.n_pool` rows in the s1 schema; `metadata` holds each row's level and planted defect (or null)."""
    rng = random.Random(f"{spec.seed}:pool")
    held_out = {p.question for p in test}
    n_duplicates, n_overlap = round(spec.duplicate_share * spec.n_pool), round(spec.overlap_share * spec.n_pool)
    levels = dict(zip(LEVELS, spec.level_shares))
    rows, taken = [], set()
    while len(rows) < spec.n_pool - n_duplicates - n_overlap:
        problem = DOMAINS[draw(rng, spec.domain_shares)](rng, draw(rng, levels))
        if problem.question in held_out or problem.question in taken:
            continue  # natural repeats of easy problems are not the planted duplicates
        taken.add(problem.question)
        worked = rng.random() < spec.worked_shares[problem.level - 1]
        u = rng.random()
        if u < spec.wrong_share:
            rows.append(wrong(rng, problem, worked))
        elif u < spec.wrong_share + spec.artefact_share:
            rows.append(artefact(rng, problem))
        else:
            rows.append(row(problem, trace=None if worked else problem.brief()))
    rows += [row(p, "test overlap") for p in rng.sample(test, min(n_overlap, len(test)))]
    rng.shuffle(rows)
    for original in sorted(rng.sample(range(len(rows)), n_duplicates), reverse=True):
        copy = dict(
            rows[original], metadata=json.dumps({**json.loads(rows[original]["metadata"]), "defect": "duplicate"})
        )
        rows.insert(rng.randint(original + 1, len(rows)), copy)  # after its original, so the copy is the one dropped
    return rows


def defect_of(row: dict) -> str | None:
    return json.loads(row["metadata"]).get("defect")


def level_of(row: dict) -> int:
    return json.loads(row["metadata"])["level"]
