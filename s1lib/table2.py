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
        return miniature(params, progress)
    return _pool(params, params_file, progress)


def miniature(params, progress: bool = False) -> Study:
    """Table 2 in miniature on the pool of `mini_pool.seed`."""
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


# Across pools (the miniature): the study repeated on pools generated from `mini_pool.seeds`, read together.


def across_pools(params, progress: bool = False) -> dict[int, Study]:
    """pool seed -> the miniature study on that pool, for every seed of `mini_pool.seeds` (each pool's work cached
    in its own runs folder, `s1lib.mini.ablations.pool_params`); {} on the paper's pool or with no seeds."""
    from s1lib.mini import ablations

    if params.data.ablations != "miniature":
        return {}
    return {seed: miniature(ablations.pool_params(params, seed), progress) for seed in params.mini_pool.seeds}


def _correct(results: list[dict]) -> dict[str, dict[str, bool]]:
    """model -> question id -> right, for the runs with budget forcing."""
    from s1lib.eval.suite import correct_by_id

    return {r["model"]: correct_by_id(r) for r in results if r["setting"] == SETTING}


def pools_correct(studies: dict[int, Study]) -> dict[str, dict[str, list[bool]]]:
    """Per pool ("pool <seed>"): arm -> right/wrong per test question (`plots.across_pools` draws it)."""
    return {
        f"pool {seed}": {arm: list(c.values()) for arm, c in _correct(study.results).items()}
        for seed, study in studies.items()
    }


def pools_table(studies: dict[int, Study]):
    """Accuracy (%) of every arm on each pool, then the mean over pools and the spread (highest - lowest)."""
    import pandas as pd

    cells = {
        f"pool {seed}": {arm: 100 * sum(c.values()) / len(c) for arm, c in _correct(study.results).items()}
        for seed, study in studies.items()
    }
    out = pd.DataFrame(cells)
    pools = out.columns
    out["mean"] = out[pools].mean(axis=1)
    out["spread"] = out[pools].max(axis=1) - out[pools].min(axis=1)
    return out.round(1)


def pooled(studies: dict[int, Study]):
    """Every arm against the reference over all pools: mean accuracy, the pooled difference (points; the pools
    weigh equally) with its 95% paired-bootstrap interval (questions resampled within each pool), on how many pools
    the arm was ahead, its compute as a multiple of the reference's (mean over pools), and what the interval says."""
    import pandas as pd

    from s1lib.eval.metrics import pooled_paired_bootstrap

    correct = {seed: _correct(study.results) for seed, study in studies.items()}
    ref = next(iter(studies.values())).reference
    ratios = pd.concat([compute(s)[f"compute vs {s.reference}"] for s in studies.values()], axis=1).mean(axis=1)
    rows = {}
    for arm in next(iter(correct.values())):
        pairs = _pairs(correct.values(), arm, ref)
        diff, low, high = (100 * x for x in pooled_paired_bootstrap(pairs))
        ahead = sum(sum(a) > sum(b) for a, b in pairs)
        rows[arm] = {
            "mean accuracy": 100 * sum(sum(a) / len(a) for a, _ in pairs) / len(pairs),
            f"diff vs {ref}": diff,
            "ci_low": low,
            "ci_high": high,
            f"pools ahead of {ref}": f"{ahead}/{len(pairs)}",
            f"compute vs {ref}": ratios.get(arm, float("nan")),
            "reading": "—" if arm == ref else _reading(arm, ref, low, high),
        }
    return pd.DataFrame.from_dict(rows, orient="index").round(2)


def _pairs(pools, arm: str, reference: str) -> list[tuple[list[bool], list[bool]]]:
    """(arm, reference) right/wrong on the same questions, one pair per pool (arm -> question id -> right)."""
    return [([c[arm][i] for i in sorted(c[arm])], [c[reference][i] for i in sorted(c[arm])]) for c in pools]


def _reading(arm: str, ref: str, low: float, high: float) -> str:
    if high < 0:
        return f"{ref} ahead"
    if low > 0:
        return f"{arm} ahead"
    return "no clear difference"


def pooled_verdict(studies: dict[int, Study]) -> dict[str, bool]:
    """The paper's claims on the pooled differences: s1K beats 1K-random by >= 10 points and 1K-diverse and
    1K-longest, each with the pooled interval above 0; it is within 5 points of the full pool, which is not clearly
    ahead; at <= 1/5 of the full pool's compute on every pool."""
    p = pooled(studies)
    ref = next(iter(studies.values())).reference
    diff = p[f"diff vs {ref}"]
    ahead = {arm: bool(p.loc[arm, "ci_high"] < 0) for arm in p.index}  # differences are arm - reference
    return {
        "beats 1K-random by >= 10 points, pooled interval above 0": bool(diff["1K-random"] <= -10)
        and ahead["1K-random"],
        "beats 1K-diverse, pooled interval above 0": ahead["1K-diverse"],
        "beats 1K-longest, pooled interval above 0": ahead["1K-longest"],
        "within 5 points of the full pool (pooled)": bool(abs(diff["full pool"]) <= 5),
        "the full pool not clearly ahead (pooled interval includes 0)": bool(p.loc["full pool", "ci_low"] <= 0),
        "<= 1/5 of the full pool's compute on every pool": all(
            verdict(s)["<= 1/5 of the full pool's compute"] for s in studies.values()
        ),
    }


def pooled_correct_by(studies: dict[int, Study], facet: str) -> dict[str, dict]:
    """arm -> the test questions' `facet` -> right/wrong per question, over all pools (as `correct_by`)."""
    out: dict[str, dict] = {}
    for study in studies.values():
        for arm, groups in correct_by(study, facet).items():
            for group, marks in groups.items():
                out.setdefault(arm, {}).setdefault(group, []).extend(marks)
    return out


def exposure(study: Study):
    """What each arm's training shows the model: its rows, the hard ones (the pipeline's difficulty mark; on the
    generated pool a worked trace of >= `mini_pool.min_length` Qwen2.5 tokens), the examples its steps drew, and how
    many of those were hard (examples seen x the arm's hard share)."""
    c = compute(study)
    hard = {arm: sum(bool(r["hard"]) for r in sel.rows) for arm, sel in study.arms.items()}
    out = c[["rows", "examples seen", "epochs"]].copy()
    out.insert(1, "hard rows", [hard[arm] for arm in out.index])
    out["hard examples seen"] = (out["examples seen"] * out["hard rows"] / out["rows"]).round().astype(int)
    return out


def gap_to_full(studies: dict[int, Study]) -> list[str]:
    """The full pool against the reference over the pools, in sentences read from the data: the pooled difference
    and compute, the hard worked traces each arm's training drew, and where by level and domain the gap lies."""
    import pandas as pd

    ref = next(iter(studies.values())).reference
    p = pooled(studies).loc["full pool"]
    seen = pd.concat([exposure(s) for s in studies.values()]).groupby(level=0).mean()
    lines = [
        f"full pool - {ref}, pooled over {len(studies)} pools: {p[f'diff vs {ref}']:+.1f} points "
        f"[{p['ci_low']:+.1f}, {p['ci_high']:+.1f}] at {p[f'compute vs {ref}']:.1f}x the training compute "
        f"({p['reading']})",
        f"hard worked traces (mean per pool): the full pool trained on {seen.loc['full pool', 'hard rows']:.0f} "
        f"distinct ones and drew {seen.loc['full pool', 'hard examples seen']:.0f}; {ref} on "
        f"{seen.loc[ref, 'hard rows']:.0f} and drew {seen.loc[ref, 'hard examples seen']:.0f}",
    ]
    widest = {}
    for facet in ("level", "domain"):
        by = pooled_correct_by(studies, facet)
        gaps = {g: 100 * (sum(by["full pool"][g]) - sum(by[ref][g])) / len(by[ref][g]) for g in by[ref]}
        cells = ", ".join(f"{g} {d:+.1f}" for g, d in gaps.items())
        widest[facet] = max(gaps, key=lambda g: abs(gaps[g]))
        lines.append(f"full pool - {ref} by {facet} (points, pooled): {cells}; the widest at {facet} {widest[facet]}")
    domain = widest["domain"]
    trained = {arm: _rows_in(studies, arm, domain) for arm in ("full pool", ref)}
    lines.append(
        f"training rows in {domain} (mean per pool): the full pool {trained['full pool'][0]:.0f} "
        f"({trained['full pool'][1]:.0f} hard), {ref} {trained[ref][0]:.0f} ({trained[ref][1]:.0f} hard)"
    )
    return lines


def _rows_in(studies: dict[int, Study], arm: str, domain: str) -> tuple[float, float]:
    """(rows, hard rows) of `domain` in `arm`'s training set, mean over the pools."""
    rows = [[r for r in s.arms[arm].rows if r["domain"] == domain] for s in studies.values()]
    hard = [sum(bool(r["hard"]) for r in rs) for rs in rows]
    return sum(map(len, rows)) / len(rows), sum(hard) / len(hard)


MATCHED = "s1K-mini at the full arm's steps"


def at_full_compute(params, studies: dict[int, Study], progress: bool = False):
    """s1K-mini's rows trained for the full arm's steps on every pool, against s1K-mini and the full pool: per pool
    and pooled, the difference (points) with its 95% paired interval. Where it matches or beats the full pool, the
    full arm's lead comes from its extra steps, not its rows. Trainings and evaluations are cached."""
    import pandas as pd

    from s1lib.eval.metrics import pooled_paired_bootstrap
    from s1lib.mini import ablations

    correct = {}
    for seed, study in studies.items():
        pool = ablations.pool_params(params, seed)
        model = ablations.train_reference_at_full_compute(pool, study.arms, progress)
        results = study.results + ablations.evaluate_arms(pool, {MATCHED: model}, progress, {SETTING: {}})
        correct[f"pool {seed}"] = _correct(results)
    rows = {}
    for name, groups in [*((k, [v]) for k, v in correct.items()), ("pooled", list(correct.values()))]:
        row = {"accuracy": 100 * sum(sum(c[MATCHED].values()) / len(c[MATCHED]) for c in groups) / len(groups)}
        for reference in (ablations.REFERENCE, "full pool"):
            pairs = _pairs(groups, MATCHED, reference)
            diff, low, high = (100 * x for x in pooled_paired_bootstrap(pairs))
            row[f"diff vs {reference}"] = f"{diff:+.1f} [{low:+.1f}, {high:+.1f}]"
        rows[name] = row
    return pd.DataFrame.from_dict(rows, orient="index").round(1)
