"""Evaluation questions: raw question as the user message, zero-shot, as the paper and the official tasks."""

from __future__ import annotations

import random

from s1lib.data.sources import load
from s1lib.eval.grade import gsm8k_gold
from s1lib.question import KINDS, Question

GPQA_SEED = 0  # lm-eval seeds its global `random` with 0 before the GPQA task shuffles the choices


def gpqa_questions(rows: list[dict]) -> list[Question]:
    """`{Question}\\n\\nA) ..\\nB) ..\\nC) ..\\nD) ..` with the four choices shuffled by one seeded generator."""
    rng = random.Random(GPQA_SEED)
    out = []
    for i, row in enumerate(rows):
        choices = [row["Incorrect Answer 1"], row["Incorrect Answer 2"], row["Incorrect Answer 3"], row["Correct Answer"]]
        choices = [c.strip() for c in choices]
        order = list(range(4))
        rng.shuffle(order)
        shuffled = [choices[j] for j in order]
        gold = "ABCD"[order.index(3)]
        body = "\n".join(f"{letter}) {text}" for letter, text in zip("ABCD", shuffled))
        out.append(Question(str(row.get("Record ID", f"gpqa-{i}")), f"{row['Question'].strip()}\n\n{body}", gold, "gpqa"))
    return out


def questions_for(params, benchmark: str) -> list[Question]:
    """A profile's questions: `eval.limit` / `eval.subset_seed` trim the paper's benchmarks; the miniature task
    is generated from the `mini` section (its size is `mini.n_test`)."""
    if benchmark == "mini-letters":
        from s1lib.mini import held_out_questions

        return held_out_questions(params.mini)
    if benchmark == "mini-pool":
        from s1lib.mini.pool import evaluation_questions

        return evaluation_questions(params.mini_pool)
    return load_questions(benchmark, params.eval.limit, params.eval.subset_seed)


def load_questions(benchmark: str, limit: int | None = None, subset_seed: int | None = None) -> list[Question]:
    """The benchmark's questions; with `limit`, the first N (or a seeded random N when `subset_seed` is set)."""
    if benchmark == "aime24":
        qs = [Question(str(r["id"]), r["problem"], r["answer"], "aime", {"url": r.get("url")}) for r in load("aime24")]
    elif benchmark == "math500":
        qs = [Question(r["unique_id"], r["problem"], r["answer"], "math", {"subject": r["subject"], "level": r["level"]})
              for r in load("math500")]
    elif benchmark == "gpqa-diamond":
        qs = gpqa_questions(load("gpqa-diamond"))
    elif benchmark == "gsm8k":
        qs = [Question(f"gsm8k-test-{i}", r["question"], gsm8k_gold(r["answer"]), "gsm8k") for i, r in enumerate(load("gsm8k"))]
    else:
        raise ValueError(f"unknown benchmark '{benchmark}'; choose from {', '.join(KINDS)} "
                         f"(mini-letters and mini-pool are generated from a profile: questions_for(params, name))")
    if limit is not None and limit < len(qs):
        if subset_seed is None:
            qs = qs[:limit]
        else:
            keep = sorted(random.Random(subset_seed).sample(range(len(qs)), limit))
            qs = [qs[i] for i in keep]
    return qs
