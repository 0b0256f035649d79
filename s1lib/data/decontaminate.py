"""8-gram decontamination against evaluation sets (official `decontaminate_util.py` behaviour).

Text is lowercased, stripped and whitespace-normalised; a training question is dropped if it shares **any** word
8-gram with any evaluation question. Questions shorter than 8 words have no 8-grams and are never flagged.
With `cumulative=True` the pool is also decontaminated source by source against all earlier sources, as the
official pool collection did.
"""

from __future__ import annotations

from dataclasses import dataclass


def normalise(text: str) -> str:
    return " ".join(text.lower().strip().split())


def ngrams(text: str, n: int = 8) -> set[str]:
    words = normalise(text).split()
    return {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}


@dataclass
class Removed:
    row: int
    question: str
    against: str  # evaluation set (or earlier source) it overlapped with
    ngram: str


def eval_ngrams(eval_sets: dict[str, list[str]], n: int = 8) -> dict[str, str]:
    """n-gram -> name of the evaluation set it came from."""
    index = {}
    for name, questions in eval_sets.items():
        for q in questions:
            for gram in ngrams(q, n):
                index.setdefault(gram, name)
    return index


def decontaminate(
    rows: list[dict], eval_sets: dict[str, list[str]], n: int = 8, cumulative: bool = False
) -> tuple[list[dict], list[Removed]]:
    """(kept rows, removed rows with the set and n-gram that matched)."""
    index = eval_ngrams(eval_sets, n)
    kept, removed = [], []
    order = sorted(range(len(rows)), key=lambda i: rows[i]["source_type"]) if cumulative else range(len(rows))
    pending: dict[str, str] = {}
    current = None
    for i in order:
        row = rows[i]
        if cumulative and row["source_type"] != current:
            index.update({g: f"earlier source {current}" for g in pending if g not in index})
            pending, current = {}, row["source_type"]
        grams = ngrams(row["question"], n)
        hit = next((g for g in grams if g in index), None)
        if hit is not None:
            removed.append(Removed(i, row["question"], index[hit], hit))
            continue
        kept.append(row)
        if cumulative:
            pending.update(dict.fromkeys(grams, current))
    return kept, removed
