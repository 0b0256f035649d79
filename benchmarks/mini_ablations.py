"""Table 2 in miniature, end to end at the `mini` profile's size: generate and select the pool, train the five
arms, evaluate them and the base model with and without budget forcing, timed per stage.
Targets: s1K-mini >= 10 points above 1K-random (paired 95% interval above 0) and above 1K-diverse and 1K-longest;
within 5 points of the full pool at <= 1/5 of its training compute; the whole study <= 90 min on 2 CPU cores.
Prints a table and writes runs/benchmarks/mini_ablations.json.

    python benchmarks/mini_ablations.py [--keep]

It runs under its own profile (`mini-ablations-benchmark`, params/mini.yaml otherwise) and starts from nothing;
`--keep` reuses the trainings and evaluations of its previous run (only what is missing is done).
"""

from __future__ import annotations

import argparse
import shutil
import time

from common import ROOT, write_result

PROFILE = "mini-ablations-benchmark"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="reuse the previous run's trainings and evaluations")
    args = parser.parse_args()

    from s1lib import table2
    from s1lib.mini import ablations
    from s1lib.params import load_params

    if not args.keep:
        shutil.rmtree(ROOT / "runs" / PROFILE, ignore_errors=True)
    params = load_params(ROOT / "params" / "mini.yaml", {"profile": PROFILE})
    seconds = {}
    start = time.perf_counter()
    prepared = ablations.prepare_pool(params)
    arms = ablations.build_arms(params, prepared)
    seconds["pool and selection"] = time.perf_counter() - start
    models = {}
    for arm, sel in arms.items():
        t = time.perf_counter()
        models.update(ablations.train_arms(params, {arm: sel}))
        seconds[f"train {arm}"] = time.perf_counter() - t
    t = time.perf_counter()
    results = ablations.evaluate_arms(params, models)
    seconds["evaluate"] = time.perf_counter() - t
    seconds["total"] = time.perf_counter() - start

    study = table2.miniature_study(params, arms, models, results)
    compute = table2.compute(study)
    table = ablations.table(results)
    verdict = table2.verdict(study)
    print(table.to_string())
    print()
    print(compute.to_string())
    print()
    print(ablations.accuracy_by(results, "level").to_string())
    print()
    for stage, s in seconds.items():
        print(f"{stage:<22}{s:>8.0f} s{s / 60:>7.1f} min")
    print()
    print("\n".join(f"{'met' if ok else 'MISSED':<7}{claim}" for claim, ok in verdict.items()))
    write_result(
        "mini_ablations",
        {
            "profile": PROFILE,
            "pool_rows": params.mini_pool.n_pool,
            "n": params.mini_pool.n,
            "test_questions": len(ablations.evaluation_questions(params.mini_pool)),
            "funnel": arms["s1K-mini"].funnel,
            "seconds": seconds,
            "accuracy": {setting: ablations.differences(results, setting) for setting in ablations.SETTINGS},
            "by_level": ablations.accuracy_by(results, "level").to_dict(orient="index"),
            "compute": compute.to_dict(orient="index"),
            "composition": table2.composition(study, "level").to_dict(orient="index"),
            "targets": verdict,
            "within_90_min": seconds["total"] <= 90 * 60,
        },
    )


if __name__ == "__main__":
    main()
