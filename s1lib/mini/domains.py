"""Six procedural reasoning domains for the miniature pool, each with a difficulty knob (`level`, 1 = easiest).

Every problem is solved by a procedure written out step by step (a running count, a running sum, a digit-by-digit
comparison, ...), so a worked trace's length grows with its level. `Problem.brief` is the other kind of trace: the
answer at a glance, which is how a teacher answers most easy problems (`s1lib.mini.pool` decides which by level).
Questions open with a short instruction followed by the problem's values, and have at least 8 words, so word 8-gram
decontamination sees every question and an 8-gram is shared only by questions that share several values in a row.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from typing import Callable

LEVELS = (1, 2, 3, 4)


@dataclass(frozen=True)
class Problem:
    domain: str
    level: int
    question: str
    steps: tuple[str, ...]  # the worked procedure, one step each
    answer: int

    def trace(self) -> str:
        """The worked trace: every step of the procedure, then the answer."""
        return ", ".join(self.steps) + f". So the answer is {self.answer}."

    def brief(self) -> str:
        """The trace of a teacher that answers at a glance, as teachers do on easy problems."""
        return f"This one is quick: the answer is {self.answer}."


def size(level: int, start: int = 2, per_level: int = 2) -> int:
    """How many values a problem of `level` has: 4, 6, 8, 10 by default."""
    return start + per_level * level


def letters(rng: random.Random, level: int) -> Problem:
    """Count one letter in a letter-spaced string (one token per letter), by a running count."""
    length = size(level, 4, 3)
    target = rng.choice(string.ascii_lowercase)
    count = rng.randint(1, (length + 1) // 2)
    chars = [target] * count + [rng.choice(string.ascii_lowercase.replace(target, "")) for _ in range(length - count)]
    rng.shuffle(chars)
    steps, total = [], 0
    for c in chars:
        total += c == target
        steps.append(f"{c} {'yes' if c == target else 'no'} {total}")
    return Problem("letters", level, f"Count the letter {target} in {' '.join(chars)}.", tuple(steps), count)


def digit_sum(rng: random.Random, level: int) -> Problem:
    """Add the digits of a number written digit by digit, by a running sum."""
    digits = [rng.randint(0, 9) for _ in range(size(level))]
    steps, total = [], 0
    for d in digits:
        total += d
        steps.append(f"+{d} = {total}")
    return Problem("digit-sum", level, f"Add up the digits {' '.join(map(str, digits))}.", tuple(steps), total)


def running_total(rng: random.Random, level: int) -> Problem:
    """Apply a chain of additions and subtractions to a start value."""
    value = rng.randint(1, 30)
    words, steps = [f"Start at {value},"], []
    for _ in range(size(level, 0, 2)):
        amount = rng.randint(1, 19)
        sign = "+" if value - amount < 0 or rng.random() < 0.5 else "-"
        new = value + amount if sign == "+" else value - amount
        words.append(f"{'add' if sign == '+' else 'subtract'} {amount},")
        steps.append(f"{value} {sign} {amount} = {new}")
        value = new
    question = " ".join(words).rstrip(",") + ". What is the result?"
    return Problem("running-total", level, question, tuple(steps), value)


def largest(rng: random.Random, level: int) -> Problem:
    """Find the largest of a list of two-digit numbers, by a running maximum."""
    numbers = [rng.randint(10, 99) for _ in range(size(level))]
    best, steps = numbers[0], [f"start {numbers[0]}"]
    for n in numbers[1:]:
        best = max(best, n)
        steps.append(f"{n} -> {best}")
    return Problem("largest", level, f"Find the largest of {' '.join(map(str, numbers))}.", tuple(steps), best)


def compare(rng: random.Random, level: int) -> Problem:
    """Which of two numbers (written digit by digit) is larger, by comparing digits from the left; the two share a
    random-length prefix, so looking at the first digit alone is not enough."""
    n = size(level)
    a = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(n - 1)]
    shared = rng.randint(n // 2, n - 1)
    b = a[:shared] + [rng.choice([d for d in range(1 if shared == 0 else 0, 10) if d != a[shared]])]
    b += [rng.randint(0, 9) for _ in range(n - len(b))]
    steps = []
    for i, (x, y) in enumerate(zip(a, b), 1):
        steps.append(f"digit {i}: {x} = {y}" if x == y else f"digit {i}: {x} {'>' if x > y else '<'} {y}")
        if x != y:
            break
    larger = a if a[shared] > b[shared] else b
    question = f"Which is larger, {' '.join(map(str, a))} or {' '.join(map(str, b))}?"
    return Problem("compare", level, question, tuple(steps), int("".join(map(str, larger))))


def evens(rng: random.Random, level: int) -> Problem:
    """Count the even numbers in a list, by a running count."""
    numbers = [rng.randint(1, 99) for _ in range(size(level))]
    steps, count = [], 0
    for n in numbers:
        count += n % 2 == 0
        steps.append(f"{n} {'even' if n % 2 == 0 else 'odd'} {count}")
    return Problem("evens", level, f"How many even numbers in {' '.join(map(str, numbers))}?", tuple(steps), count)


DOMAINS: dict[str, Callable[[random.Random, int], Problem]] = {
    "letters": letters,
    "digit-sum": digit_sum,
    "running-total": running_total,
    "largest": largest,
    "compare": compare,
    "evens": evens,
}
