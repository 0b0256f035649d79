"""Table 2 (data ablations) on the profile's data, one story whichever the data. `run` trains the paper's five
training sets with one recipe and evaluates them with budget forcing: on the generated pool of `mini_pool`
(`data.ablations: miniature`, the CPU profiles, where a 135M model scores ~0 on the paper's benchmarks;
`s1lib.mini.ablations`) or on the paper's pool (`data.ablations: pool`, the GPU profiles). The views below read
either study the same way; notebook 05 is this module, a view per cell.

    study = run(params, params_file)   # arms (selections), models, evaluations; all cached
    table(study)                       # accuracy and the paired 95% interval of each arm's difference from s1K
    verdict(study)                     # the paper's claims, as measured here
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from s1lib.data.select import Selection
from s1lib.eval.suite import paired_differences, paired_table

# the paper's arms -> the selection method that draws each (s1lib.data.select.METHODS)
ARMS = {"1K-random": "random", "1K-diverse": "diverse", "1K-longest": "longest", "full pool": "full", "s1K": "s1k"}
SETTING = "budget forcing"  # the paper evaluates Table 2's models with budget forcing only


@dataclass
class Study:
    arms: dict[str, Selection]  # label -> the selected training rows
    models: dict[str, Path]  # label -> the fine-tuned model's final/ folder
    results: list[dict]  # one evaluation per model, setting and benchmark (s1lib.eval.suite.evaluate_grid)
    reference: str  # the s1K arm's label
    label: str  # what the study is: its data and size (and that a smoke run is one)
    column: str = "benchmark"  # the table's columns: the benchmarks, or the settings where there is one benchmark
    facets: tuple[str, ...] = ("domain",)  # groupings of the training rows there is data for
    question_facets: tuple[str, ...] = ()  # groupings of the test questions there is data for


def run(params, params_file: str | None = None, progress: bool = False) -> Study:
    """The profile's Table 2; every selection, training and evaluation is cached, so a rerun does what is left."""
    if params.data.ablations == "miniature":
        return _miniature(params, progress)
    return _pool(params, params_file, progress)


def _miniature(params, progress: bool) -> Study:
    from s1lib.mini import ablations

    arms = ablations.build_arms(params, ablations.prepare_pool(params))
    models = ablations.train_arms(params, arms, progress)
    return miniature_study(params, arms, models, ablations.evaluate_arms(params, models, progress, {SETTING: {}}))


def miniature_study(params, arms: dict[str, Selection], models: dict[str, Path], results: list[dict]) -> Study:
    """The miniature's arms, models and evaluations as a `Study` (its groupings: level, domain, planted defect)."""
    from s1lib.mini import ablations

    return Study(
        arms,
        models,
        results,
        ablations.REFERENCE,
        ablations.label(params),
        column="setting",
        facets=("level", "domain", "defect"),
        question_facets=("level", "domain"),
    )


def _pool(params, params_file: str | None, progress: bool) -> Study:
    from s1lib.data.pipeline import prepare, select, write_selection
    from s1lib.eval.suite import evaluate_grid
    from s1lib.paths import runs_dir
    from s1lib.train import train

    d = params.data
    prepared = prepare(d.pool, d.decontaminate_against, d.ngram, d.min_level)
    arms, models = {}, {}
    for arm, method in ARMS.items():
        arms[arm] = select(prepared, method, d.selection_size, d.seed, d.math_seed_length)
        path = runs_dir(params.profile) / "data" / f"{method}.jsonl"
        write_selection(arms[arm], path, {"pool": d.pool, "method": method, "n": d.selection_size, "seed": d.seed})
        models[arm] = train(params, str(path), params_file=params_file, progress=progress)
    results = evaluate_grid(params, {arm: str(m) for arm, m in models.items()}, {SETTING: {}}, progress=progress)
    label = (
        f"{params.profile} profile: the pool {d.pool}, subsets of {d.selection_size} rows, every arm "
        f"{params.train.num_train_epochs:g} epochs of the profile's recipe"
    )
    return Study(arms, models, results, "s1K", label)


def table(study: Study):
    """Accuracy (%) of every arm, with the paired 95% interval of its difference from s1K (points)."""
    return paired_table(study.results, study.reference, column=study.column)


def compute(study: Study):
    """Training compute per arm: rows, optimizer steps, examples seen, epochs, wall seconds, and examples seen as a
    multiple of s1K's (the paper's full arm: 59x)."""
    import pandas as pd

    rows = {}
    for arm, final in study.models.items():
        manifest = json.loads((Path(final) / "manifest.json").read_text())
        examples = manifest["steps"] * manifest["train"]["global_batch_size"]
        records = [json.loads(line) for line in (Path(final).parent / "log.jsonl").read_text().splitlines()]
        rows[arm] = {
            "rows": manifest["n_examples"],
            "steps": manifest["steps"],
            "examples seen": examples,
            "epochs": round(examples / manifest["n_examples"], 2),
            "wall seconds": round(sum(r.get("train_runtime", 0) for r in records), 1),
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    if study.reference in out.index:
        ratio = out["examples seen"] / out.loc[study.reference, "examples seen"]
        out[f"compute vs {study.reference}"] = ratio.round(2)
    return out


def paper_table(study: Study):
    """The paper's Table 2 (AIME24 / MATH500 / GPQA Diamond, %), under this study's arm names."""
    import pandas as pd

    from s1lib.paper import DATA_ABLATIONS

    names = {"59K-full": "full pool", "s1K": study.reference}
    return pd.DataFrame({f"paper: {names.get(r.setting, r.setting)}": r.values for r in DATA_ABLATIONS}).T


def verdict(study: Study) -> dict[str, bool]:
    """The paper's claims, as measured on each benchmark: s1K beats 1K-random by >= 10 points with the paired
    interval above 0, and beats 1K-diverse and 1K-longest; it is within 5 points of the full pool at <= 1/5 of its
    training compute."""
    examples = compute(study)["examples seen"]
    ref = study.reference
    claims = {}
    benchmarks = list(dict.fromkeys(r["benchmark"] for r in study.results))
    for benchmark in benchmarks:
        runs = [r for r in study.results if r["benchmark"] == benchmark]
        d = {x["model"]: x for x in paired_differences(runs, ref, SETTING)}
        where = f" ({benchmark})" if len(benchmarks) > 1 else ""
        # the differences are arm - s1K, so s1K beating an arm is a negative difference
        claims[f"beats 1K-random by >= 10 points, interval above 0{where}"] = bool(
            d["1K-random"]["diff"] <= -10 and d["1K-random"]["ci_high"] < 0
        )
        claims[f"beats 1K-diverse{where}"] = bool(d["1K-diverse"]["diff"] < 0)
        claims[f"beats 1K-longest{where}"] = bool(d["1K-longest"]["diff"] < 0)
        claims[f"within 5 points of the full pool{where}"] = bool(abs(d["full pool"]["diff"]) <= 5)
    claims["<= 1/5 of the full pool's compute"] = bool(examples[ref] * 5 <= examples["full pool"])
    return claims


def composition(study: Study, facet: str):
    """Training rows of each arm by `facet` (one of `study.facets`: level, domain, or planted defect)."""
    import pandas as pd

    from s1lib.mini.pool import defect_of, level_of

    get = {"domain": lambda r: r["domain"], "level": level_of, "defect": lambda r: defect_of(r) or "none"}[facet]
    counts = {arm: Counter(get(r) for r in sel.rows) for arm, sel in study.arms.items()}
    return pd.DataFrame(counts).T.fillna(0).astype(int).sort_index(axis=1)


def accuracy_by(study: Study, facet: str):
    """Accuracy (%) of every arm by the test questions' `facet` (one of `study.question_facets`)."""
    from s1lib.mini.ablations import accuracy_by

    return accuracy_by(study.results, facet, SETTING)


def correct_by(study: Study, facet: str) -> dict[str, dict]:
    """arm -> the test questions' `facet` -> right/wrong per question (`plots.accuracy_by_bucket` draws it)."""
    from s1lib.mini.ablations import correct_by

    return correct_by(study.results, facet, SETTING)
