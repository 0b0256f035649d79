"""Table 2 in miniature: the paper's five training sets, drawn from the generated pool (`s1lib.mini.pool`) by the
same `s1lib.data` pipeline as the real pool, trained with one recipe and evaluated on the held-out test set
(`s1lib.table2` runs it on the CPU profiles and reads it as it reads the paper pool's Table 2).

    prepared = prepare_pool(params)              # quality, decontamination against the test set, features
    arms = build_arms(params, prepared)          # arm label -> Selection
    models = train_arms(params, arms)            # arm label -> fine-tuned model (cached by content hash)
    results = evaluate_arms(params, models)      # every arm and the base model, with and without budget forcing

Difficulty is the paper's fallback signal, trace length: a trace of at least `min_length` Qwen2.5 tokens is hard.
The subset arms train for the recipe's `max_steps`; the full arm for `full_compute` times as many, or as many epochs.
`pool_params(params, seed)` is the profile on another pool: the across-pools study (`mini_pool.seeds`)."""

from __future__ import annotations

from pathlib import Path

from s1lib.data.pipeline import Prepared, prepare, select, write_selection
from s1lib.data.select import Selection
from s1lib.eval.suite import NO_FORCING, evaluate_grid, paired_differences, paired_table, run_dir_of
from s1lib.mini.pool import evaluation_questions, held_out_problems, pool_rows
from s1lib.mini.study import study_params
from s1lib.params import with_model
from s1lib.paths import runs_dir, write_jsonl_if_changed

BENCHMARK = "mini-pool"
ARMS = {
    "1K-random": "random",
    "1K-diverse": "diverse",
    "1K-longest": "longest",
    "full pool": "full",
    "s1K-mini": "s1k",
}
REFERENCE = "s1K-mini"
SETTINGS = {"no forcing": NO_FORCING, "budget forcing": {}}


def folder(params) -> Path:
    return runs_dir(params.profile) / BENCHMARK


def prepare_pool(params) -> Prepared:
    """The generated pool through check_rows, decontamination against the test set, and featurization."""
    spec = params.mini_pool
    test = held_out_problems(spec)
    rows = pool_rows(spec, test)
    write_jsonl_if_changed(folder(params) / "pool.jsonl", rows)
    evals = {BENCHMARK: [p.question for p in test]}
    return prepare(str(folder(params) / "pool.jsonl"), [], rows=rows, evals=evals, min_length=spec.min_length)


def build_arms(params, prepared: Prepared) -> dict[str, Selection]:
    spec = params.mini_pool
    return {arm: select(prepared, method, spec.n, spec.seed) for arm, method in ARMS.items()}


def arm_params(params, arm: str, rows: int | None = None):
    """The profile pointed at the base model with the arm's recipe: one recipe, the full arm `full_compute` times
    the steps, or with `full_compute: epochs` the subsets' epochs over its `rows` (float32 weights: the recipe's
    mixed precision decides)."""
    spec = params.mini_pool
    steps = spec.train.max_steps
    if ARMS[arm] == "full":
        if spec.full_compute != "epochs":
            steps *= spec.full_compute
        elif rows is None:
            raise ValueError("the full arm at the subsets' epochs needs its number of rows")
        else:
            steps *= rows / spec.n
    recipe = spec.train.model_copy(update={"max_steps": max(1, int(round(steps)))})
    return with_model(params, spec.model, tokenizer=None, dtype="float32").model_copy(update={"train": recipe})


def pool_params(params, seed: int):
    """The profile with the pool drawn from `seed`. A pool other than `mini_pool.seed`'s lives under its own runs
    folder, `runs/<profile>-pool<seed>/` (its test set differs, and evaluations are kept by arm label)."""
    spec = params.mini_pool
    if seed == spec.seed:
        return params
    return params.model_copy(
        update={"profile": f"{params.profile}-pool{seed}", "mini_pool": spec.model_copy(update={"seed": seed})}
    )


def train_arms(params, arms: dict[str, Selection], progress: bool = True) -> dict[str, Path]:
    """Each arm's training set written to `runs/<profile>/mini-pool/mini-pool-<method>.jsonl` and fine-tuned
    (cached; the prefix keeps these trainings apart from the paper pool's, e.g. `find_trained(profile, "s1k")`)."""
    from s1lib.train import train

    models = {}
    for arm, sel in arms.items():
        path = folder(params) / f"{BENCHMARK}-{ARMS[arm]}.jsonl"
        write_selection(sel, path, {"pool": BENCHMARK, "arm": arm, "n": params.mini_pool.n})
        models[arm] = train(arm_params(params, arm, len(sel.rows)), str(path), progress=progress)
    return models


def train_reference_at_full_compute(params, arms: dict[str, Selection], progress: bool = True) -> Path:
    """s1K-mini's rows trained for the full arm's steps: the full pool's compute without its data, which tells
    what the full arm gains from its rows from what it gains from its extra steps."""
    from s1lib.train import train

    steps = arm_params(params, "full pool", len(arms["full pool"].rows)).train.max_steps
    pointed = arm_params(params, REFERENCE)
    pointed = pointed.model_copy(update={"train": pointed.train.model_copy(update={"max_steps": steps})})
    path = folder(params) / f"{BENCHMARK}-{ARMS[REFERENCE]}.jsonl"
    write_selection(arms[REFERENCE], path, {"pool": BENCHMARK, "arm": REFERENCE, "n": params.mini_pool.n})
    return train(pointed, str(path), progress=progress)


def ensure_reference_model(params, progress: bool = True) -> Path:
    """The s1K-mini model alone (notebook 04), trained once and shared with notebook 05."""
    arms = build_arms(params, prepare_pool(params))
    return train_arms(params, {REFERENCE: arms[REFERENCE]}, progress)[REFERENCE]


def evaluate_arms(
    params, models: dict[str, str | Path], progress: bool = True, settings: dict[str, dict] = SETTINGS
) -> list[dict]:
    """Every model in every setting (default: with and without budget forcing) on the test set; `base` is the
    untrained model."""
    labelled = {"base": params.mini_pool.model, **{k: str(v) for k, v in models.items()}}
    return evaluate_grid(study_params(params, benchmark=BENCHMARK), labelled, settings, [BENCHMARK], progress=progress)


def label(params) -> str:
    """What a table from this profile is: the study's size and pool, on the smoke profile that it is a smoke run."""
    from s1lib.notebook import SMALL_PROFILES

    spec = params.mini_pool
    full = "the same epochs" if spec.full_compute == "epochs" else f"{spec.full_compute:g}x the steps"
    size = (
        f"generated pool {spec.seed} of {spec.n_pool} rows, subset arms of {spec.n} rows trained "
        f"{spec.train.max_steps} steps (the full pool {full}), {len(evaluation_questions(spec))} test questions"
    )
    profile = params.profile.removesuffix(f"-pool{spec.seed}")  # pool_params' folder for the pool
    if profile in SMALL_PROFILES:
        return (
            f"Smoke run ({size}): it shows that the study runs, not its result; `make reproduce PROFILE=mini` "
            "runs it at size."
        )
    return f"{profile} profile: {size}"


def correct_by(results: list[dict], key: str, setting: str = "budget forcing") -> dict[str, dict]:
    """model -> the test questions' `key` ("level" or "domain") -> right/wrong of each question, for one setting."""
    from s1lib.eval.runner import read_samples

    out: dict[str, dict] = {}
    for r in results:
        if r["setting"] != setting:
            continue
        groups: dict = {}
        for s in read_samples(run_dir_of(r) / "samples.jsonl"):
            groups.setdefault(bucket(s["id"], key), []).append(s["correct"])
        out[r["model"]] = dict(sorted(groups.items()))
    return out


def accuracy_by(results: list[dict], key: str, setting: str = "budget forcing"):
    """Accuracy (%) of every model by the test questions' `key` ("level" or "domain"), for one setting."""
    import pandas as pd

    cells = {
        m: {g: 100 * sum(v) / len(v) for g, v in groups.items()}
        for m, groups in correct_by(results, key, setting).items()
    }
    return pd.DataFrame(cells).T.round(1)


def bucket(question_id: str, key: str) -> str | int:
    domain, level, _ = question_id.rsplit("-", 2)
    return int(level) if key == "level" else domain


def differences(results: list[dict], setting: str = "budget forcing") -> dict[str, dict]:
    """Each model's accuracy and its paired-bootstrap difference from s1K-mini (points, 95% interval)."""
    return {
        d["model"]: {k: d[k] for k in ("accuracy", "diff", "ci_low", "ci_high", "n")}
        for d in paired_differences(results, REFERENCE, setting)
    }


def table(results: list[dict]):
    """Accuracy (%) of every model in each setting evaluated, with the paired 95% interval of its difference from
    s1K-mini."""
    return paired_table(results, REFERENCE, column="setting")
