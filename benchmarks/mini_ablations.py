"""Table 2 in miniature, end to end at the `mini` profile's size, on every pool of `mini_pool.seeds`: generate and
select each pool, train the five arms, evaluate them and the base model with budget forcing, timed per pool and stage;
then the arms across pools (accuracy per pool, mean, spread) and pooled against s1K-mini (a paired bootstrap that
resamples the questions within each pool).
Targets (the paper's claims, pooled): s1K-mini >= 10 points above 1K-random and above 1K-diverse and 1K-longest,
each pooled interval above 0; within 5 points of the full pool at <= 1/5 of its training compute; three pools
<= 3 hours on 2 CPU cores. Prints the tables and writes runs/benchmarks/mini_ablations.json (after every pool).

    python benchmarks/mini_ablations.py [--seeds 0 1 2] [--n-pool 2500] [--full-compute epochs|5] [--keep]
                                        [--matched-compute]

It runs under its own profile (`mini-ablations-benchmark`, and `mini-ablations-benchmark-pool<seed>` for the pools
other than `mini_pool.seed`; params/mini.yaml otherwise) and starts from nothing; `--keep` reuses the trainings and
evaluations of its previous run (only what is missing is done).
"""

from __future__ import annotations

import argparse
import time

from common import ROOT, fresh_folder, write_result

PROFILE = "mini-ablations-benchmark"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", help="pool seeds (default: the profile's mini_pool.seeds)")
    parser.add_argument("--n-pool", type=int, help="rows per pool (default: the profile's)")
    parser.add_argument("--full-compute", help="the full arm's steps: a multiple of a subset arm's, or `epochs`")
    parser.add_argument(
        "--matched-compute",
        action="store_true",
        help="also train s1K-mini for the full arm's steps on each pool (the full arm's compute, s1K's rows)",
    )
    parser.add_argument("--keep", action="store_true", help="reuse the previous run's trainings and evaluations")
    args = parser.parse_args()

    from s1lib import table2
    from s1lib.mini import ablations
    from s1lib.params import load_params

    overrides = {"profile": PROFILE, "mini_pool": {}}
    for key, value in {"seeds": args.seeds, "n_pool": args.n_pool, "full_compute": args.full_compute}.items():
        if value is not None:
            overrides["mini_pool"][key] = value  # full_compute: "epochs" or a number, as the params file takes it
    params = load_params(ROOT / "params" / "mini.yaml", overrides)
    seeds = params.mini_pool.seeds or [params.mini_pool.seed]
    for seed in seeds:
        fresh_folder(ablations.pool_params(params, seed).profile, args.keep)

    studies, seconds = {}, {}
    for seed in seeds:
        pool = ablations.pool_params(params, seed)
        start = time.perf_counter()
        studies[seed] = table2.miniature(pool, progress=True)
        seconds[f"pool {seed}"] = time.perf_counter() - start
        report(params, studies, seconds)
    print(f"{'total':<10}{sum(seconds.values()) / 60:>7.1f} min")
    if args.matched_compute:
        matched_compute(params, studies)


def matched_compute(params, studies: dict) -> None:
    """s1K-mini at the full arm's steps against s1K-mini and the full pool, per pool and pooled
    (`table2.at_full_compute`), printed and added to the JSON as `matched_compute`."""
    import json

    from s1lib import table2

    start = time.perf_counter()
    table = table2.at_full_compute(params, studies, progress=True)
    print(f"\n{table2.MATCHED}\n{table.to_string()}")
    path = ROOT / "runs" / "benchmarks" / "mini_ablations.json"
    out = {"table": table.to_dict(orient="index"), "seconds": time.perf_counter() - start}
    path.write_text(json.dumps({**json.loads(path.read_text()), "matched_compute": out}, indent=2))


def report(params, studies: dict, seconds: dict) -> None:
    """Print the tables of the pools done so far and write the JSON (a stopped run keeps its finished pools)."""
    from s1lib import table2
    from s1lib.mini import ablations

    spec = params.mini_pool
    per_pool = {}
    for seed, study in studies.items():
        per_pool[seed] = {
            "accuracy": table2.table(study).to_dict(),
            "differences": ablations.differences(study.results),
            "compute": table2.compute(study).to_dict(orient="index"),
            "exposure": table2.exposure(study).to_dict(orient="index"),
            "by_level": table2.accuracy_by(study, "level").to_dict(orient="index"),
            "by_domain": table2.accuracy_by(study, "domain").to_dict(orient="index"),
            "verdict": table2.verdict(study),
            "seconds": seconds[f"pool {seed}"],
        }
        print(f"\npool {seed} ({seconds[f'pool {seed}'] / 60:.1f} min): {study.label}")
        print(table2.table(study).to_string())
        print(table2.exposure(study).to_string())
    across = table2.pools_table(studies)
    pooled = table2.pooled(studies)
    verdict = table2.pooled_verdict(studies)
    print(f"\nacross {len(studies)} pools\n{across.to_string()}\n\n{pooled.to_string()}\n")
    print("\n".join(f"{'met' if ok else 'MISSED':<7}{claim}" for claim, ok in verdict.items()))
    gap = table2.gap_to_full(studies)
    print("\n" + "\n".join(gap))
    write_result(
        "mini_ablations",
        {
            "profile": PROFILE,
            "seeds": list(studies),
            "pool_rows": spec.n_pool,
            "n": spec.n,
            "full_compute": spec.full_compute,
            "subset_steps": spec.train.max_steps,
            "pools": per_pool,
            "across_pools": across.to_dict(orient="index"),
            "pooled": pooled.to_dict(orient="index"),
            "pooled_by_level": _pooled_by(studies, "level"),
            "pooled_by_domain": _pooled_by(studies, "domain"),
            "gap_to_full": gap,
            "targets": verdict,
            "seconds": seconds,
            "within_3_hours": sum(seconds.values()) <= 3 * 3600,
        },
    )


def _pooled_by(studies: dict, facet: str) -> dict:
    from s1lib import table2

    return {
        arm: {str(group): 100 * sum(marks) / len(marks) for group, marks in groups.items()}
        for arm, groups in table2.pooled_correct_by(studies, facet).items()
    }


if __name__ == "__main__":
    main()
