"""Grading throughput on one core: MATH500 gold solutions, and noisy predictions that force math-verify to work.
Prints a table and writes runs/benchmarks/grading.json. Target: all 500 in under 10 s.

    S1LIB_DATA_DIR=../shared/data python benchmarks/grading.py
"""

from __future__ import annotations

import os
import random
import time

from common import write_result

A = "<|im_start|>think\n...\n<|im_start|>answer\n"


def noisy(rows: list[dict], seed: int = 0) -> list[tuple[str, str]]:
    """(gold, model output): equivalent rewrites, wrong answers, unboxed and missing answers."""
    rng = random.Random(seed)
    out = []
    for row in rows:
        gold, other = row["answer"], rng.choice(rows)["answer"]
        choice = rng.randrange(5)
        if choice == 0:
            text = A + f"So the answer is $\\boxed{{ {gold.replace('frac', 'dfrac')} }}$."
        elif choice == 1:
            text = A + f"Final Answer: ${other}$"
        elif choice == 2:
            text = A + f"Final Answer: The final answer is ${gold}$. I hope it is correct."
        elif choice == 3:
            text = A + f"\\boxed{{{other}}} or maybe \\boxed{{({gold})}}"
        else:
            text = A + "I could not finish."
        out.append((gold, text))
    return out


def timed(pairs) -> tuple[float, int]:
    from s1lib.eval.grade import grade

    start = time.perf_counter()
    correct = sum(grade("math", text, gold).correct for gold, text in pairs)
    return time.perf_counter() - start, correct


def main() -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from s1lib.data.sources import load
    from s1lib.eval.grade import grade

    grade("math", A + "\\boxed{x+1}", "1+x")  # import math-verify, sympy and antlr outside the timing
    rows = load("math500")
    cases = {"math500 gold solutions": [(r["answer"], r["solution"]) for r in rows], "math500 noisy predictions": noisy(rows)}
    results = {}
    print(f"{'case':<28}{'answers':>8}{'correct':>9}{'seconds':>9}{'answers/s':>11}")
    for name, pairs in cases.items():
        seconds, correct = timed(pairs)
        results[name] = {"answers": len(pairs), "correct": correct, "seconds": seconds, "answers_per_s": len(pairs) / seconds}
        print(f"{name:<28}{len(pairs):>8}{correct:>9}{seconds:>9.2f}{len(pairs) / seconds:>11.1f}")
    write_result("grading", results)


if __name__ == "__main__":
    main()
