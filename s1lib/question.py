"""One evaluation question: what the model is asked, the reference answer, and how to grade it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Question:
    id: str
    prompt: str
    gold: str
    kind: str  # grading kind: aime, math, gsm8k, gpqa, integer
    meta: dict = field(default_factory=dict, compare=False)
