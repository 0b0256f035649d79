"""Sweep cost: 5 budgets x 3 ignore counts from one long run per question, against the single largest run and
against running all 15 settings independently. Target: sweep <= 1.5x the largest run.
Prints a table and writes runs/benchmarks/sweep.json.

    python benchmarks/sweep.py
"""

from __future__ import annotations

import time
from dataclasses import replace

from common import QUESTIONS, write_result

BUDGETS, IGNORES = [32, 64, 128, 192, 256], [0, 1, 2]


def main() -> None:
    from s1lib.infer import Forcing, generate
    from s1lib.infer.hf import HFEngine
    from s1lib.infer.sweep import sweep
    from s1lib.models import load_model

    model, tok = load_model("smollm2-135m")
    engine = HFEngine(model, tok, batch_size=8)
    # a floor keeps the untrained model thinking (it would otherwise stop after a couple of tokens)
    base = Forcing(min_thinking=24, max_answer=16, max_generation=1024)
    generate(engine, QUESTIONS[:1], replace(base, max_thinking=32), progress=False)  # warm-up

    start = time.perf_counter()
    largest = generate(
        engine, QUESTIONS, replace(base, max_thinking=max(BUDGETS), ignore=max(IGNORES)), progress=False
    )
    largest_s = time.perf_counter() - start

    start = time.perf_counter()
    results = sweep(engine, QUESTIONS, BUDGETS, IGNORES, base)
    sweep_s = time.perf_counter() - start

    start = time.perf_counter()
    naive = {
        (b, k): generate(engine, QUESTIONS, replace(base, max_thinking=b, ignore=k), progress=False)
        for b in BUDGETS
        for k in IGNORES
    }
    naive_s = time.perf_counter() - start
    same = sum(g.token_ids == h.token_ids for key in naive for g, h in zip(results[key], naive[key]))
    total = len(naive) * len(QUESTIONS)

    rows = {"largest single run": largest_s, "sweep (15 settings)": sweep_s, "independent runs (15)": naive_s}
    print(f"{'what':<26}{'seconds':>9}{'x largest':>11}")
    for name, seconds in rows.items():
        print(f"{name:<26}{seconds:>9.1f}{seconds / largest_s:>11.2f}")
    print(
        f"sweep settings identical to independent runs: {same}/{total}; "
        f"mean thinking tokens of the largest run: {sum(g.thinking_tokens for g in largest) / len(largest):.0f}"
    )
    write_result(
        "sweep",
        {
            "budgets": BUDGETS,
            "ignores": IGNORES,
            "questions": len(QUESTIONS),
            "seconds": rows,
            "sweep_over_largest": sweep_s / largest_s,
            "naive_over_largest": naive_s / largest_s,
            "identical": [same, total],
        },
    )


if __name__ == "__main__":
    main()
