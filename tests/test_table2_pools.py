"""Table 2 in miniature across pools: the bootstrap that resamples questions within each pool, the per-pool and
pooled tables and the pooled verdict read from hand-made evaluations, what each arm's training shows the model, and
each pool's work kept in its own runs folder."""

from __future__ import annotations

import json

import pytest

from s1lib import table2
from s1lib.data.select import Selection
from s1lib.eval import suite
from s1lib.eval.metrics import paired_bootstrap, pooled_paired_bootstrap
from s1lib.mini import ablations
from s1lib.params import ParamsError, load_params
from s1lib.paths import runs_dir

REF = "s1K-mini"


def test_the_pooled_bootstrap_weighs_pools_equally_and_resamples_within_each():
    # pool A: the arm is right where the reference is wrong on both questions; pool B: the arm is wrong on all eight
    a_pool, b_pool = ([1, 1], [0, 0]), ([0] * 8, [1] * 8)
    diff, low, high = pooled_paired_bootstrap([a_pool, b_pool])
    assert diff == 0.0  # (+1 + -1) / 2, where the mean over the ten questions would be -0.6
    assert low == high == 0.0  # each pool's differences are constant: only resampling across pools could move them
    assert pooled_paired_bootstrap([([1, 0, 1, 1], [0, 0, 1, 0])]) == paired_bootstrap([1, 0, 1, 1], [0, 0, 1, 0])
    with pytest.raises(ValueError, match="same questions"):
        pooled_paired_bootstrap([([1, 0], [1])])


def fake_study(
    tmp_path, seed: int, correct: dict[str, list[int]], steps: dict[str, int], lengths: dict
) -> table2.Study:
    """A study whose evaluations and trainings are files written here: `correct` per arm (question order shared),
    `steps` of 4 rows per arm, and the length of every training row per arm (hard from 60 tokens, as the
    pipeline marks it with `min_length: 60`)."""
    results, models, arms = [], {}, {}
    ids = [f"letters-{1 + i % 4}-{i}" for i in range(len(next(iter(correct.values()))))]
    for arm, marks in correct.items():
        folder = tmp_path / f"pool{seed}" / arm
        (folder / "final").mkdir(parents=True)
        folder.joinpath("samples.jsonl").write_text(
            "".join(json.dumps({"id": i, "correct": bool(c)}) + "\n" for i, c in zip(ids, marks))
        )
        results.append({"model": arm, "setting": table2.SETTING, "benchmark": "mini-pool", "folder": folder})
        if arm == "base":
            continue
        rows = [
            {"length": n, "hard": n >= 60, "domain": "letters", "metadata": json.dumps({"level": 1})}
            for n in lengths[arm]
        ]
        arms[arm] = Selection(rows, [])
        manifest = {"steps": steps[arm], "train": {"global_batch_size": 4}, "n_examples": len(rows)}
        (folder / "final" / "manifest.json").write_text(json.dumps(manifest))
        (folder / "log.jsonl").write_text(json.dumps({"train_runtime": 2.5 * steps[arm]}) + "\n")
        models[arm] = folder / "final"
    return table2.Study(arms, models, results, REF, f"pool {seed}", column="setting", question_facets=("level",))


@pytest.fixture
def studies(tmp_path, monkeypatch):
    monkeypatch.setattr(suite, "run_dir_of", lambda r: r["folder"])
    monkeypatch.setattr(ablations, "run_dir_of", lambda r: r["folder"])
    steps = {"1K-random": 2, "1K-diverse": 2, "1K-longest": 2, "full pool": 10, REF: 2}
    lengths = {"1K-random": [10, 10, 80, 10], "1K-diverse": [10, 80, 80, 10], "1K-longest": [90] * 4, REF: [70] * 4}
    lengths["full pool"] = [10] * 12 + [80] * 8
    correct = {
        0: {REF: [1] * 8, "1K-random": [0] * 8, "1K-diverse": [1] * 7 + [0], "1K-longest": [0] * 8},
        1: {REF: [1] * 6 + [0] * 2, "1K-random": [0] * 8, "1K-diverse": [1] * 6 + [0, 1], "1K-longest": [0] * 8},
    }
    correct[0]["full pool"] = list(correct[0][REF])
    correct[1]["full pool"] = [1] * 7 + [0]  # ahead of s1K-mini on pool 1's one level-3 question it missed
    for pool in correct.values():
        pool["base"] = [0] * 8
    return {seed: fake_study(tmp_path, seed, c, steps, lengths) for seed, c in correct.items()}


def test_the_table_across_pools_gives_each_pool_the_mean_and_the_spread(studies):
    t = table2.pools_table(studies)
    assert list(t.columns) == ["pool 0", "pool 1", "mean", "spread"]
    assert t.loc[REF].tolist() == [100.0, 75.0, 87.5, 25.0]
    assert t.loc["1K-diverse"].tolist() == [87.5, 87.5, 87.5, 0.0]


def test_the_pooled_differences_say_what_their_intervals_support(studies):
    p = table2.pooled(studies)
    assert p.loc["1K-random", f"diff vs {REF}"] == -87.5  # (-100 + -75) / 2
    assert p.loc["1K-random", "ci_high"] < 0 and p.loc["1K-random", "reading"] == f"{REF} ahead"
    assert p.loc["1K-diverse", f"diff vs {REF}"] == 0.0  # -12.5 on pool 0, +12.5 on pool 1
    assert p.loc["1K-diverse", "reading"] == "no clear difference"
    assert p.loc["1K-diverse", f"pools ahead of {REF}"] == "1/2"
    assert p.loc["full pool", f"compute vs {REF}"] == 5.0
    assert p.loc["1K-random", "mean accuracy"] == 0.0 and p.loc[REF, "reading"] == "—"
    assert table2.pooled_verdict(studies) == {
        "beats 1K-random by >= 10 points, pooled interval above 0": True,
        "beats 1K-diverse, pooled interval above 0": False,
        "beats 1K-longest, pooled interval above 0": True,
        "within 5 points of the full pool (pooled)": False,  # +6.25
        "the full pool not clearly ahead (pooled interval includes 0)": True,
        "<= 1/5 of the full pool's compute on every pool": True,
    }


def test_accuracy_by_level_is_pooled_over_the_pools(studies):
    by = table2.pooled_correct_by(studies, "level")
    assert sorted(by[REF]) == [1, 2, 3, 4] and len(by[REF][1]) == 4  # two questions per level on each pool
    assert by[REF][3] == by[REF][4] == [True, True, True, False]  # pool 1 missed its last question of each
    assert by["1K-random"][1] == [False] * 4


def test_exposure_counts_the_hard_rows_and_the_hard_examples_each_arm_draws(studies):
    e = table2.exposure(studies[0])
    assert e.loc["1K-random"].to_dict() == {
        "rows": 4,
        "hard rows": 1,
        "examples seen": 8,
        "epochs": 2.0,
        "hard examples seen": 2,
    }
    assert e.loc["full pool", "hard rows"] == 8 and e.loc["full pool", "hard examples seen"] == 16  # 40 x 8/20
    assert e.loc[REF, "hard examples seen"] == 8


def test_every_pool_but_the_profiles_own_has_its_own_runs_folder():
    params = load_params("params/smoke.yaml")
    assert ablations.pool_params(params, params.mini_pool.seed) is params
    other = ablations.pool_params(params, 7)
    assert other.mini_pool.seed == 7 and runs_dir(other.profile) == runs_dir("smoke-pool7")
    assert other.mini_pool.model_dump(exclude={"seed"}) == params.mini_pool.model_dump(exclude={"seed"})
    assert ablations.label(other).startswith("Smoke run (generated pool 7 of")
    assert table2.across_pools(load_params("params/smoke.yaml", {"data": {"ablations": "pool"}})) == {}


def test_the_full_arm_at_the_subsets_epochs_trains_its_rows_as_often():
    params = load_params("params/mini.yaml")
    spec = params.mini_pool
    assert spec.full_compute == "epochs"
    full = ablations.arm_params(params, "full pool", rows=10 * spec.n).train
    assert full.max_steps == 10 * spec.train.max_steps
    assert ablations.arm_params(params, "s1K-mini", rows=spec.n).train.max_steps == spec.train.max_steps
    with pytest.raises(ValueError, match="number of rows"):
        ablations.arm_params(params, "full pool")


@pytest.mark.parametrize(
    "section, key",
    [
        ({"full_compute": 0.5}, "mini_pool.full_compute"),
        ({"full_compute": "epoch"}, "mini_pool.full_compute"),
        ({"seeds": [0, 1, 0]}, "mini_pool.seeds"),
    ],
)
def test_bad_pool_settings_name_the_field(section, key):
    with pytest.raises(ParamsError, match=key):
        load_params("params/smoke.yaml", {"mini_pool": section})


def test_the_gap_to_the_full_pool_is_told_from_the_data(studies):
    lines = table2.gap_to_full(studies)
    assert (
        lines[0] == f"full pool - {REF}, pooled over 2 pools: +6.2 points [+0.0, +18.8] at 5.0x the training "
        "compute (no clear difference)"
    )
    assert lines[1].endswith(f"the full pool trained on 8 distinct ones and drew 16; {REF} on 4 and drew 8")
    assert lines[2].startswith(f"full pool - {REF} by level (points, pooled): 1 +0.0, 2 +0.0, 3 +25.0, 4 +0.0")
    assert lines[2].endswith("the widest at level 3")
    assert lines[3].endswith("the widest at domain letters")
    assert lines[4] == f"training rows in letters (mean per pool): the full pool 20 (8 hard), {REF} 4 (4 hard)"


def test_the_pools_figure_has_a_marker_per_pool_over_the_mean_each_with_an_interval(studies):
    from s1lib.plots import across_pools
    from test_figures import check_accuracy_figure

    fig = across_pools(table2.pools_correct(studies))
    assert [t.name for t in fig.data] == ["mean over pools", "pool 0", "pool 1"]
    table = table2.pools_table(studies)  # rounded to 0.1
    assert list(fig.data[1].y) == pytest.approx(table["pool 0"].tolist(), abs=0.05)
    assert list(fig.data[0].y) == pytest.approx(table["mean"].tolist(), abs=0.05)
    assert "(n = 8) per pool" in fig.layout.title.text
    check_accuracy_figure(fig, "across pools")


def test_s1k_at_the_full_arms_steps_is_read_per_pool_and_pooled(studies, tmp_path, monkeypatch):
    trained = []

    def fake_evaluate(pool, models, progress, settings):
        folder = tmp_path / f"matched{pool.mini_pool.seed}"
        folder.mkdir()
        folder.joinpath("samples.jsonl").write_text(
            "".join(json.dumps({"id": f"letters-{1 + i % 4}-{i}", "correct": True}) + "\n" for i in range(8))
        )
        return [{"model": table2.MATCHED, "setting": table2.SETTING, "benchmark": "mini-pool", "folder": folder}]

    monkeypatch.setattr(
        ablations, "train_reference_at_full_compute", lambda pool, arms, progress: trained.append(pool.profile)
    )
    monkeypatch.setattr(ablations, "evaluate_arms", fake_evaluate)
    t = table2.at_full_compute(load_params("params/smoke.yaml"), studies)
    assert trained == ["smoke", "smoke-pool1"]  # each pool trained in its own runs folder
    assert list(t.index) == ["pool 0", "pool 1", "pooled"] and t["accuracy"].tolist() == [100.0] * 3
    assert t.loc["pool 0", f"diff vs {REF}"] == "+0.0 [+0.0, +0.0]"
    assert t.loc["pool 1", f"diff vs {REF}"].startswith("+25.0 [")  # s1K-mini missed two of eight there
    assert t.loc["pool 1", "diff vs full pool"].startswith("+12.5 [")
    assert t.loc["pooled", f"diff vs {REF}"].startswith("+12.5 [") and t.loc["pooled", "diff vs full pool"].startswith(
        "+6.2 ["
    )
