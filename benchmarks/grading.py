"""Grading throughput on 2 cores, worker-process start-up included: MATH500 gold solutions (the exact-string
shortcut), equivalent rewrites of the 500 golds (every one through math-verify), noisy predictions, and the noisy
set with 1% adversarial outputs (exponent towers, huge factorials, megabyte expressions, prose boxes).
Prints a table and writes runs/benchmarks/grading.json. Targets: 500 answers in <= 10 s; the adversarial mix no
slower than 2x the clean one.

    S1LIB_DATA_DIR=../shared/data python benchmarks/grading.py
"""

from __future__ import annotations

import os
import random
import re
import time
from fractions import Fraction

from common import write_result

A = "<|im_start|>think\n...\n<|im_start|>answer\n"
ADVERSARIAL = [
    "\\boxed{10^{10^{10}}}",
    "\\boxed{9^{9^{9}}}",
    "\\boxed{(10^9)!}",
    "\\boxed{" + "x+" * 200_000 + "1}",
    "\\boxed{7} then \\boxed the rest of this prose until $ the end $",
]


def rewrite(gold: str, rng: random.Random) -> str:
    """An equivalent answer that differs from `gold` after normalisation, so only math-verify can tell."""
    frac = re.fullmatch(r"\\[dt]?frac\{(-?\d+)\}\{(\d+)\}", gold)
    if frac:
        p, q = frac.groups()
        return rng.choice([f"{p}/{q}", f"\\frac{{{2 * int(p)}}}{{{2 * int(q)}}}"])
    if re.fullmatch(r"-?\d+\.\d+", gold):
        f = Fraction(gold)
        return f"\\frac{{{f.numerator}}}{{{f.denominator}}}"
    if re.fullmatch(r"-?\d+", gold):
        return f"\\frac{{{2 * int(gold)}}}{{2}}"
    terms = re.fullmatch(r"([^+\-(),\[\]{}=]+)\+([^+\-(),\[\]{}=]+)", gold)
    if terms:
        return f"{terms.group(2)}+{terms.group(1)}"
    return gold.replace("\\frac", "\\dfrac") if "\\frac" in gold else f" {gold} "


def noisy(rows: list[dict], seed: int = 0) -> list[tuple[str, str]]:
    """(gold, model output): equivalent rewrites, wrong answers, unboxed and missing answers."""
    rng = random.Random(seed)
    out = []
    for row in rows:
        gold, other = row["answer"], rng.choice(rows)["answer"]
        text = rng.choice(
            [
                A + f"So the answer is $\\boxed{{ {rewrite(gold, rng)} }}$.",
                A + f"Final Answer: ${other}$",
                A + f"Final Answer: The final answer is ${gold}$. I hope it is correct.",
                A + f"\\boxed{{{other}}} or maybe \\boxed{{({gold})}}",
                A + "I could not finish.",
            ]
        )
        out.append((gold, text))
    return out


def with_adversarial(pairs: list[tuple[str, str]], share: float = 0.01, seed: int = 0) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    out = list(pairs)
    for i in rng.sample(range(len(out)), max(1, round(share * len(out)))):
        out[i] = (out[i][0], A + rng.choice(ADVERSARIAL))
    return out


def timed(pairs: list[tuple[str, str]]) -> tuple[float, int, int]:
    """Seconds, correct and timeouts for grading `pairs` from a cold start (no worker processes yet)."""
    from s1lib.eval import verify
    from s1lib.eval.grade import grade_many

    verify.shutdown()
    start = time.perf_counter()
    grades = grade_many([("math", text, gold) for gold, text in pairs])
    seconds = time.perf_counter() - start
    return seconds, sum(g.correct for g in grades), sum(g.reason == "timeout" for g in grades)


def main() -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from s1lib.data.sources import load
    from s1lib.eval.grade import grade

    grade("math", A + "\\boxed{1}", "1")  # import the grader's modules outside the timing
    rows = load("math500")
    rng = random.Random(0)
    clean = noisy(rows)
    cases = {
        "gold solutions": [(r["answer"], r["solution"]) for r in rows],
        "equivalent rewrites": [(r["answer"], A + f"\\boxed{{{rewrite(r['answer'], rng)}}}") for r in rows],
        "noisy predictions": clean,
        "noisy + 1% adversarial": with_adversarial(clean),
    }
    results = {}
    print(
        f"{'case (MATH500, 2 workers)':<28}{'answers':>8}{'correct':>9}{'timeouts':>9}{'seconds':>9}{'answers/s':>11}"
    )
    for name, pairs in cases.items():
        seconds, correct, timeouts = timed(pairs)
        results[name] = {
            "answers": len(pairs),
            "correct": correct,
            "timeouts": timeouts,
            "seconds": seconds,
            "answers_per_s": len(pairs) / seconds,
        }
        print(f"{name:<28}{len(pairs):>8}{correct:>9}{timeouts:>9}{seconds:>9.2f}{len(pairs) / seconds:>11.1f}")
    ratio = results["noisy + 1% adversarial"]["seconds"] / results["noisy predictions"]["seconds"]
    results["adversarial / clean"] = ratio
    print(
        f"adversarial / clean time: {ratio:.2f}x (target <= 2x); slowest case "
        f"{max(r['seconds'] for r in results.values() if isinstance(r, dict)):.2f} s (target <= 10 s)"
    )
    write_result("grading", results)


if __name__ == "__main__":
    main()
