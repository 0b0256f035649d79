"""Test-time scaling methods on one token axis (notebook 12's study), end to end on the letter-counting miniature:
the miniature model trained with its measured recipe (params/mini.yaml), then every method on the held-out
questions, each method timed on its own. Target: <= 20 min on 2 CPU cores at >= 128 questions.
Prints the matched table and writes runs/benchmarks/tts_methods.json (per method: settings, accuracy with its 95%
interval, tokens per question, seconds).

    python benchmarks/tts_methods.py [--n-test 200] [--keep-model]

It runs under its own profile (`tts-methods-benchmark`, params/mini.yaml otherwise), so it never touches another
profile's caches; `--keep-model` reuses the benchmark's previous training (times only the methods).
"""

from __future__ import annotations

import json
import time

import yaml
from common import fresh_folder, miniature_args, write_result

PROFILE = "tts-methods-benchmark"


def main() -> None:
    args = miniature_args(__doc__.splitlines()[0])

    import pandas as pd

    from s1lib.eval import methods
    from s1lib.infer import lazy_engine
    from s1lib.mini import ensure_model, study_params
    from s1lib.params import load_params

    folder = fresh_folder(PROFILE, args.keep_model, always=("tts",))  # every method always runs
    params_file = folder / "params.yaml"
    params_file.write_text(yaml.safe_dump({"extends": "mini", "profile": PROFILE, "mini": {"n_test": args.n_test}}))
    P = load_params(str(params_file))

    seconds = {}
    start = time.perf_counter()
    model = ensure_model(P)
    seconds["training"] = time.perf_counter() - start
    S = study_params(P, model)
    engine = lazy_engine(S)
    engine()  # loaded before the clocks start
    benchmark = "mini-letters"
    rows = []
    for method in methods.METHODS:  # budget forcing first: its run without forcing is AlphaOne's pilot
        start = time.perf_counter()
        rows += methods.sequential(S, benchmark, engine, which=(method,), progress=True)
        seconds[method] = time.perf_counter() - start
    start = time.perf_counter()
    rows += methods.parallel(S, benchmark, engine, progress=True)
    seconds["parallel (majority vote, short-m@k)"] = time.perf_counter() - start

    pd.set_option("display.width", 200)
    table = methods.matched(rows)
    print(methods.summary(rows).to_string(), "\n")
    print(table.to_string(), "\n")
    print("\n".join(methods.verdicts(table)), "\n")
    print(f"{'stage':<38}{'seconds':>9}{'minutes':>9}")
    for name, s in seconds.items():
        print(f"{name:<38}{s:>9.0f}{s / 60:>9.1f}")
    total = sum(seconds.values())
    print(f"{'total':<38}{total:>9.0f}{total / 60:>9.1f}   target <= 20 min")
    write_result(
        "tts_methods",
        {
            "n_test": args.n_test,
            "fresh_training": not args.keep_model,
            "settings": {
                "temperature": S.methods.temperature,
                "budgets": S.sweep.budgets,
                "ignores": S.sweep.ignores,
                **S.methods.model_dump(exclude={"temperature"}),
                "forcing": {k: S.forcing.describe(k)[k] for k in ("max_thinking", "max_generation", "max_answer")},
            },
            "methods": {
                m: {
                    "seconds": seconds.get(m, seconds["parallel (majority vote, short-m@k)"]),
                    "rows": [{k: v for k, v in r.items() if k != "correct"} for r in rows if r["method"] == m],
                }
                for m in dict.fromkeys(r["method"] for r in rows)
            },
            "seconds": seconds,
            "matched": json.loads(table.reset_index().to_json(orient="records")),
        },
    )


if __name__ == "__main__":
    main()
