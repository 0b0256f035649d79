"""Optional LLM grader, off by default and never used in CI.

The official MATH500 and GPQA grading asks gpt-4o-mini (temperature 0.5) whether an extracted answer matches a
reference, given as a numbered list of options, and reads back the option's index. This module asks the same
question of any OpenAI-compatible endpoint (`OPENAI_BASE_URL` / `eval.judge_base_url`, `OPENAI_API_KEY`), with a
prompt written for this project in the same index-reply form; results record `grader="llm-judge"` so the two
graders can be compared run against run.
"""

from __future__ import annotations

import os
import re

from s1lib.question import Question
from s1lib.eval.grade import Grade

PROMPT = """You check whether a student's final answer to a problem matches one of the listed reference answers.
Treat answers as matching when they are mathematically equivalent or differ only in formatting, units, or the way
an option is written (for example "(B)", "B" and the text of option B). Give the student the benefit of the doubt
on notation, not on value.

Problem:
{problem}

Reference answers:
{options}

Student's final answer: {answer}

Reply with the number of the matching reference answer, or -1 if none matches. Reply with the number only."""


def judge_equivalent(
    q: Question, rules: Grade, model: str = "gpt-4o-mini", base_url: str | None = None, temperature: float = 0.5
) -> Grade:
    try:
        from openai import OpenAI
    except ImportError as err:
        raise RuntimeError("the llm-judge grader needs `pip install openai`") from err
    client = OpenAI(base_url=base_url or os.environ.get("OPENAI_BASE_URL"))
    reply = (
        client.chat.completions.create(
            model=model,
            temperature=temperature,
            max_tokens=8,
            messages=[
                {
                    "role": "user",
                    "content": PROMPT.format(problem=q.prompt, options=f"1. {q.gold}", answer=rules.extracted),
                }
            ],
        )
        .choices[0]
        .message.content
        or ""
    )
    match = re.search(r"-?\d+", reply)
    return Grade(rules.extracted, bool(match and match.group() == "1"), grader="llm-judge")
