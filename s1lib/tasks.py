"""The evaluation tasks: one registry entry per benchmark, in the spirit of lm-evaluation-harness's task registry
scaled down. An entry says where the questions come from (a dataset of `s1lib.data.sources` and how a row becomes a
`Question`, or a function of the profile for the generated miniatures), how they are graded and how many there are.
Params validate `eval.benchmarks` against it, `plan` reads sizes from it, and evaluation loads through it. Adding a
benchmark is one `register(Task(...))`, its dataset included (a `Dataset` as its source joins the dataset registry,
read from `S1LIB_DATA_DIR` or the hub like the others). A generated task names its generator by import path
("module:function"), resolved when its questions are asked for: the miniatures' modules sit on `s1lib.params`, which
validates against this registry, so importing them here would close a cycle.

Questions are the raw question as the user message, zero-shot, as the paper and the official tasks ask them.
"""

from __future__ import annotations

import importlib
import random
from collections.abc import Callable
from dataclasses import dataclass, replace

from s1lib.data import sources
from s1lib.data.sources import Dataset
from s1lib.question import Question

GPQA_SEED = 0  # lm-eval seeds its global `random` with 0 before the GPQA task shuffles the choices


@dataclass(frozen=True)
class Task:
    name: str
    kind: str  # how answers are graded: s1lib.eval.grade.GRADING_KINDS
    size: int | Callable  # questions in the whole set, or a function of the profile for a generated task
    source: str | Dataset | None = None  # the dataset (a name in s1lib.data.sources, or a new one) of its rows
    read: Callable[[list[dict]], list[Question]] | None = None  # the dataset's rows -> questions
    generate: str | Callable | None = None  # or (a "module:function") making them from a profile (no eval.limit)
    section: str | None = None  # the section it takes (None: the whole profile)

    def questions(self, params=None, limit: int | None = None, subset_seed: int | None = None) -> list[Question]:
        if self.generate is not None:
            if params is None:
                raise ValueError(f"{self.name} is generated from a profile: questions_for(params, {self.name!r})")
            make = self.generate
            if isinstance(make, str):
                module, function = make.split(":")
                make = getattr(importlib.import_module(module), function)
            return make(getattr(params, self.section) if self.section else params)
        return trim(self.read(sources.load(self.source)), limit, subset_seed)

    def size_for(self, params) -> int:
        return self.size(params) if callable(self.size) else self.size


TASKS: dict[str, Task] = {}


def register(task: Task) -> Task:
    if isinstance(task.source, Dataset):
        sources.REGISTRY[task.source.name] = task.source
        task = replace(task, source=task.source.name)
    TASKS[task.name] = task
    return task


def task(name: str) -> Task:
    if name not in TASKS:
        raise ValueError(f"unknown benchmark '{name}'; choose from {', '.join(TASKS)}")
    return TASKS[name]


def questions_for(params, benchmark: str) -> list[Question]:
    """A profile's questions: `eval.limit` / `eval.subset_seed` trim a dataset's; a generated task's come whole."""
    return task(benchmark).questions(params, params.eval.limit, params.eval.subset_seed)


def load_questions(benchmark: str, limit: int | None = None, subset_seed: int | None = None) -> list[Question]:
    """A dataset task's questions; with `limit`, the first N (or a seeded random N when `subset_seed` is set)."""
    return task(benchmark).questions(None, limit, subset_seed)


def trim(qs: list[Question], limit: int | None, subset_seed: int | None) -> list[Question]:
    if limit is None or limit >= len(qs):
        return qs
    if subset_seed is None:
        return qs[:limit]
    keep = sorted(random.Random(subset_seed).sample(range(len(qs)), limit))
    return [qs[i] for i in keep]


def gpqa_questions(rows: list[dict]) -> list[Question]:
    """`{Question}\\n\\nA) ..\\nB) ..\\nC) ..\\nD) ..` with the four choices shuffled by one seeded generator."""
    rng = random.Random(GPQA_SEED)
    out = []
    for i, row in enumerate(rows):
        choices = [
            row["Incorrect Answer 1"],
            row["Incorrect Answer 2"],
            row["Incorrect Answer 3"],
            row["Correct Answer"],
        ]
        choices = [c.strip() for c in choices]
        order = list(range(4))
        rng.shuffle(order)
        shuffled = [choices[j] for j in order]
        gold = "ABCD"[order.index(3)]
        body = "\n".join(f"{letter}) {text}" for letter, text in zip("ABCD", shuffled))
        out.append(
            Question(str(row.get("Record ID", f"gpqa-{i}")), f"{row['Question'].strip()}\n\n{body}", gold, "gpqa")
        )
    return out


def _gsm8k(rows: list[dict]) -> list[Question]:
    from s1lib.eval.grade import gsm8k_gold

    return [Question(f"gsm8k-test-{i}", r["question"], gsm8k_gold(r["answer"]), "gsm8k") for i, r in enumerate(rows)]


register(
    Task(
        "aime24",
        "aime",
        30,
        "aime24",
        lambda rows: [Question(str(r["id"]), r["problem"], r["answer"], "aime", {"url": r.get("url")}) for r in rows],
    )
)
register(
    Task(
        "math500",
        "math",
        500,
        "math500",
        lambda rows: [
            Question(r["unique_id"], r["problem"], r["answer"], "math", {"subject": r["subject"], "level": r["level"]})
            for r in rows
        ],
    )
)
register(Task("gpqa-diamond", "gpqa", 198, "gpqa-diamond", gpqa_questions))
register(Task("gsm8k", "gsm8k", 1319, "gsm8k", _gsm8k))
register(
    Task(
        "mini-letters",
        "integer",
        lambda params: params.mini.n_test,
        generate="s1lib.mini.study:held_out_questions",
        section="mini",
    )
)
register(
    Task(
        "mini-pool",
        "integer",
        lambda params: len(TASKS["mini-pool"].questions(params)),
        generate="s1lib.mini.pool:evaluation_questions",
        section="mini_pool",
    )
)
