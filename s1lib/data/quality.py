"""The quality filters of the official selection notebook (`data/filter.ipynb`)."""

from __future__ import annotations

import re

FEATURES = ("domain", "length", "hard", "trace_correct")
_BOLD_DIGITS = re.compile(r"\*\*(?=.*\d)[^\s\]]*\*\*")
_NUMBERING = re.compile(r"p([1-9]\d{0,2})\.")  # "p1." ... "p999."


def has_features(row: dict) -> bool:
    """Quality 1: every feature present (drops, e.g., coding questions without a reference solution)."""
    return all(row.get(f) is not None for f in FEATURES)


def string_problem(row: dict) -> str | None:
    """Quality 2: why a question's text is unusable, or None. Asymptote figures are kept for AIME only."""
    q = row["question"]
    if "[asy]" in q:
        return None if "AIME" in row["source_type"] else "Asymptote figure"
    if "![Image]" in q:
        return "image link"
    if _NUMBERING.search(q):
        return "p1.-style numbering"
    if _BOLD_DIGITS.search(q):
        return "bold text with digits"
    return None
