"""Prompt-based length control, appended to the question exactly as the official tasks do
(`lm_eval/tasks/{aime,openai_math}/utils.py`; GPQA appends after the choices)."""

from __future__ import annotations

LONG = (
    "Answer after a long amount of thinking. If you feel like you are finished early, spend the extra time trying "
    "to double-check your work until you are absolutely sure that you have the correct answer."
)
SHORT = "Answer after a short amount of thinking. Do not spend excessive time double-checking your work."


def token_conditional(tokens: int) -> str:
    """TCC. The paper's model for this was fine-tuned on traces annotated with token counts."""
    return f"\n\nThink for up to {tokens} tokens."


def step_conditional(steps: int) -> str:
    """SCC. The paper's model for this was fine-tuned on traces split into counted steps."""
    return f"\n\nThink for up to {steps} steps."


def class_conditional(kind: str) -> str:
    """CCC: 'long' or 'short'."""
    if kind not in ("long", "short"):
        raise ValueError(f"class-conditional control is 'long' or 'short', not {kind!r}")
    return "\n\n" + (LONG if kind == "long" else SHORT)
