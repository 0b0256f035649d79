"""Letter counting, the paper's "How many r in raspberry?" generalised: questions over random strings, and
s1-format traces that answer with a quick guess or, in a minority, say "Wait" and recount letter by letter.

Held-out questions use strings that never occur in training and target letters that training never asks about
(those letters still occur inside training strings). Strings are written letter-spaced ("j n n i n o n l n n"), so
the tokenizer gives one token per letter: spelling a BPE-merged string is beyond a 135M model, and the point is the
re-check, not spelling. The other letters are drawn from the whole alphabet, so a string reads like a word with a
repeated letter ("jnninonlnn"): with only a few distinct fillers, long runs of repeats make the recount lose its
place.
"""

from __future__ import annotations

import json
import random
import string
from dataclasses import dataclass

ALPHABET = string.ascii_lowercase
RECOUNT_INTRO = "Wait, let me check letter by letter:"


@dataclass(frozen=True)
class Item:
    letter: str
    text: str

    @property
    def count(self) -> int:
        return self.text.count(self.letter)

    @property
    def spaced(self) -> str:
        return " ".join(self.text)

    @property
    def question(self) -> str:
        return f"How many times does the letter {self.letter} appear in {self.spaced}?"

    @property
    def id(self) -> str:
        return f"{self.letter}-in-{self.text}"


def query_letters(mini, split: str) -> list[str]:
    held_out = sorted(set(mini.heldout_letters))
    if split == "test":
        return held_out or list(ALPHABET)
    return [c for c in ALPHABET if c not in held_out]


def random_item(rng: random.Random, letter: str, min_length: int, max_length: int) -> Item:
    """A string with the target letter planted 1 .. ceil(length / 2) times among other random letters."""
    length = rng.randint(min_length, max_length)
    count = rng.randint(1, (length + 1) // 2)
    fillers = [c for c in ALPHABET if c != letter]
    chars = [letter] * count + [rng.choice(fillers) for _ in range(length - count)]
    rng.shuffle(chars)
    return Item(letter, "".join(chars))


def items(mini, split: str) -> list[Item]:
    """`mini.n_train` training or `mini.n_test` held-out items, deterministic in `mini.seed`; no string repeats
    within a split, and no held-out string occurs in training."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    rng = random.Random(f"{mini.seed}:{split}")
    taken = set() if split == "train" else {item.text for item in items(mini, "train")}
    letters, n = query_letters(mini, split), mini.n_train if split == "train" else mini.n_test
    out = []
    for _ in range(100 * n):
        if len(out) == n:
            return out
        item = random_item(rng, rng.choice(letters), mini.min_length, mini.max_length)
        if item.text not in taken:
            taken.add(item.text)
            out.append(item)
    raise ValueError(f"could not draw {n} distinct {split} strings of {mini.min_length}-{mini.max_length} letters")


def recount(item: Item) -> str:
    """Each letter with the running total of the target letter: `j0 n1 n2 i2 n3`."""
    total, parts = 0, []
    for char in item.text:
        total += char == item.letter
        parts.append(f"{char}{total}")
    return " ".join(parts)


def quick_guess(rng: random.Random, item: Item, accuracy: float) -> int:
    if rng.random() < accuracy:
        return item.count
    return max(0, item.count + rng.choice((-2, -1, 1, 2)))  # count >= 1, so never the right answer


def trace(rng: random.Random, item: Item, wait_fraction: float, guess_accuracy: float) -> tuple[str, int]:
    """(thinking, answer): a quick guess that ends thinking, or the guess, "Wait", a recount and its total."""
    guess = quick_guess(rng, item, guess_accuracy)
    quick = f"Quick count: {guess}."
    if rng.random() >= wait_fraction:
        return quick, guess
    return f"{quick}\n{RECOUNT_INTRO} {recount(item)}. So {item.count}.", item.count


def training_rows(mini) -> list[dict]:
    """Training rows in the s1K schema, so `s1lib.train` fine-tunes on them like on s1K."""
    rng = random.Random(f"{mini.seed}:traces")
    rows = []
    for item in items(mini, "train"):
        thinking, answer = trace(rng, item, mini.wait_fraction, mini.guess_accuracy)
        rows.append(
            {
                "question": item.question,
                "thinking_trajectories": [thinking],
                "attempt": str(answer),
                "solution": str(item.count),
                "source_type": "mini-letters",
                "cot_type": "count",
                "metadata": json.dumps(
                    {"letter": item.letter, "text": item.text, "recounts": RECOUNT_INTRO in thinking}
                ),
            }
        )
    return rows


def trace_stats(rows: list[dict]) -> dict:
    """What the training traces teach: how many re-check, and how often a quick guess alone is right."""
    recounts = [json.loads(r["metadata"])["recounts"] for r in rows]
    quick = [r["attempt"] == r["solution"] for r, again in zip(rows, recounts) if not again]
    return {
        "traces": len(rows),
        "re-check after Wait": sum(recounts),
        "quick guess right": sum(quick) / len(quick) if quick else float("nan"),
    }
