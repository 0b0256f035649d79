"""Data-pipeline speed on a generated 59,000-row pool with realistic question lengths.
Prints a table and writes runs/benchmarks/selection.json. Targets: decontamination against every evaluation set
under 60 s, s1K selection under 10 s, peak memory under 2 GB.

    S1LIB_DATA_DIR=../shared/data python benchmarks/selection.py
"""

from __future__ import annotations

import random
import resource
import time

from common import write_result

N_POOL, N_CONTAMINATED = 59_000, 300
# roughly the pool's mix: ~900 AIME, ~550 GPQA, ~12K MATH questions among 59K
SOURCES = {
    "simplescaling/openaimath/Algebra": 0.2,
    "qq8933/AIME_1983_2024": 0.015,
    "Idavidrein/gpqa": 0.01,
    "GAIR/OlympicArena": 0.1,
    "KbsdJames/Omni-MATH": 0.1,
    "AI-MO/NuminaMath-CoT": 0.45,
    "TIGER-Lab/TheoremQA": 0.05,
    "daman1209arora/jeebench": 0.075,
}


def synthetic_pool(eval_questions: list[str], seed: int = 0) -> list[dict]:
    from s1lib.data.features import MSC
    from s1lib.data.pool import question_hash

    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(20_000)]
    domains = list(MSC.values())[:50]
    rows = []
    for i in range(N_POOL):
        words = rng.choices(vocab, k=int(rng.lognormvariate(4.3, 0.6)) + 8)  # median ~75 words, long tail
        if i < N_CONTAMINATED:  # plant a 12-word span of an evaluation question
            src = rng.choice(eval_questions).split()
            start = rng.randrange(max(1, len(src) - 12))
            words[3:3] = src[start : start + 12]
        q = " ".join(words)
        rows.append(
            {
                "question": q,
                "solution": "s",
                "cot_type": "math",
                "source_type": rng.choices(list(SOURCES), weights=list(SOURCES.values()))[0],
                "metadata": "{}",
                "thinking_trajectories": ["t"],
                "attempt": "a",
                "qhash": question_hash(q),
                "domain": rng.choice(domains),
                "length": int(rng.lognormvariate(7.8, 0.7)),
                "hard": rng.random() < 0.45,
                "trace_correct": rng.random() < 0.6,
            }
        )
    return rows


def main() -> None:
    from s1lib.data.decontaminate import decontaminate
    from s1lib.data.pipeline import eval_questions
    from s1lib.data.select import s1k

    evals, skipped = eval_questions(["aime24", "math500", "gsm8k", "gpqa-diamond"])
    if "gpqa-diamond" in skipped:  # gated: stand in 198 generated questions of GPQA-like length
        rng = random.Random(1)
        evals["gpqa-diamond (synthetic)"] = [
            " ".join(f"g{rng.randrange(5000)}" for _ in range(120)) for _ in range(198)
        ]
    questions = [q for qs in evals.values() for q in qs if len(q.split()) >= 20]
    start = time.perf_counter()
    pool = synthetic_pool(questions)
    build_s = time.perf_counter() - start

    start = time.perf_counter()
    kept, removed = decontaminate(pool, evals, n=8)
    decon_s = time.perf_counter() - start

    start = time.perf_counter()
    sel = s1k(kept, n=1000, seed=0)
    select_s = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    results = {
        "pool_rows": len(pool),
        "eval_questions": sum(len(v) for v in evals.values()),
        "eval_sets": sorted(evals),
        "planted_contaminated": N_CONTAMINATED,
        "removed": len(removed),
        "build_s": build_s,
        "decontamination_s": decon_s,
        "selection_s": select_s,
        "selected": len(sel.rows),
        "peak_mb": peak_mb,
    }
    print(f"{'step':<22}{'seconds':>9}  detail")
    print(f"{'generate pool':<22}{build_s:>9.2f}  {len(pool)} rows")
    print(
        f"{'decontaminate':<22}{decon_s:>9.2f}  {len(removed)} removed ({N_CONTAMINATED} planted) against "
        f"{results['eval_questions']} questions"
    )
    print(f"{'s1K selection':<22}{select_s:>9.2f}  {len(sel.rows)} selected, funnel {sel.funnel}")
    print(f"{'peak memory (MB)':<22}{peak_mb:>9.0f}")
    write_result("selection", results)


if __name__ == "__main__":
    main()
