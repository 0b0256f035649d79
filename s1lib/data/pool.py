"""Question pools in the s1 schema, and the checks every row passes before the pipeline sees it.

The s1 schema (simplescaling/s1K, data_ablation_full59K): `question`, `solution`, `cot_type`, `source_type`,
`metadata`, `thinking_trajectories` (a list with one trace), `attempt`, plus featurized columns where present
(`domain`, `gemini_length`, `isgeminicorrect`, `isqwen7bcorrect`, `isqwen32bcorrect`).

`smoke-pool` is a **stand-in** built from local copies (GSM8K train and four MATH subjects): the reference
solution plays the trace, the final answer the attempt, the MATH subject (or "gsm8k") the domain and the MATH level
(or the number of GSM8K calculation steps) the difficulty. Its traces are short human solutions, not Gemini
thinking, so it exercises the pipeline, not the paper's data.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from s1lib.data import sources

POOLS = ("pool-59k", "s1K", "s1K-1.1", "smoke-pool")


def question_hash(question: str) -> str:
    """The official `question_hash`: first 16 hex digits of sha256."""
    return hashlib.sha256(question.encode()).hexdigest()[:16]


@dataclass
class Problem:
    row: int
    field: str
    issue: str

    def __str__(self) -> str:
        return f"row {self.row} field '{self.field}': {self.issue}"


@dataclass
class Checked:
    rows: list[dict]
    problems: list[Problem] = field(default_factory=list)


def _smoke_rows() -> list[dict]:
    rows = []
    for r in sources.load("gsm8k-train"):
        *steps, final = r["answer"].split("\n")
        trace = "\n".join(steps)
        rows.append(
            {
                "question": r["question"],
                "solution": r["answer"],
                "cot_type": "math",
                "source_type": "openai/gsm8k",
                "metadata": str({"calc_steps": trace.count("<<")}),
                "cot": None,
                "thinking_trajectories": [trace],
                "attempt": final.replace("####", "").strip(),
                "domain": "gsm8k",
                "level": max(1, min(5, trace.count("<<"))),
            }
        )
    for r in sources.load("math-pool-partial"):
        level = re.search(r"\d", r["level"])
        rows.append(
            {
                "question": r["problem"],
                "solution": r["solution"],
                "cot_type": "math",
                "source_type": f"simplescaling/openaimath/{r['subject']}",
                "metadata": str({"unique_id": r["unique_id"]}),
                "cot": None,
                "thinking_trajectories": [r["solution"]],
                "attempt": f"$\\boxed{{{r['answer']}}}$",
                "domain": r["subject"],
                "level": int(level.group()) if level else None,
            }
        )
    return rows


def load_pool(name: str) -> list[dict]:
    """Rows of a pool in the s1 schema (hub pools are schema-checked by `sources.load`): a pool's name, or a JSONL
    file in that schema (`s1lib distill` writes one; `check_rows` names what is malformed)."""
    if name.endswith(".jsonl"):
        path = Path(name)
        if not path.is_file():
            raise sources.DataError(f"pool file {name} does not exist")
        return sources.read_jsonl(path, path.name)
    if name == "smoke-pool":
        return _smoke_rows()
    if name in ("pool-59k", "s1K"):
        return sources.load(name)
    if name == "s1K-1.1":  # r1 traces in the common columns, so the pipeline reads one schema
        return [
            {**r, "thinking_trajectories": [r["deepseek_thinking_trajectory"]], "attempt": r["deepseek_attempt"]}
            for r in sources.load(name)
        ]
    raise sources.DataError(f"unknown pool '{name}'; choose from {', '.join(POOLS)} or a .jsonl file")


def check_rows(rows: list[dict]) -> Checked:
    """Keep well-formed rows; name every other one with its field and issue (missing fields, empty questions,
    non-string traces, duplicate questions) instead of failing deep inside the pipeline."""
    good, problems, seen = [], [], {}
    for i, row in enumerate(rows):
        issue = None
        if not isinstance(row, dict):
            issue = Problem(i, "*", f"not a mapping ({type(row).__name__})")
        elif not isinstance(row.get("question"), str) or not row["question"].strip():
            issue = Problem(i, "question", "missing or empty")
        elif not isinstance(row.get("thinking_trajectories"), list) or not row["thinking_trajectories"]:
            issue = Problem(i, "thinking_trajectories", "missing or not a non-empty list")
        elif not all(isinstance(t, str) for t in row["thinking_trajectories"]):
            issue = Problem(i, "thinking_trajectories", "holds a non-string trace")
        elif not isinstance(row.get("attempt"), str):
            issue = Problem(i, "attempt", "missing or not a string")
        elif not isinstance(row.get("source_type"), str):
            issue = Problem(i, "source_type", "missing or not a string")
        elif row["question"] in seen:
            issue = Problem(i, "question", f"duplicate of row {seen[row['question']]}")
        if issue:
            problems.append(issue)
            continue
        seen[row["question"]] = i
        good.append(row)
    return Checked(good, problems)
