"""Table 2 in miniature: the generated pool (seeded, schema-valid, skewed, with planted defects that the pipeline
catches), the arms built from it by `s1lib.data`, and the study's statistics."""

from __future__ import annotations

import json
import re
import statistics
from pathlib import Path
from collections import Counter

import pytest

from s1lib.data.pool import check_rows
from s1lib.data.quality import string_problem
from s1lib.data.select import quality_filter
from s1lib.eval import suite
from s1lib.mini import ablations
from s1lib.mini.domains import DOMAINS, LEVELS
from s1lib.mini.pool import defect_of, held_out_problems, level_of, pool_rows
from s1lib.params import MiniPoolParams, ParamsError, load_params

S1_FIELDS = {"question", "solution", "thinking_trajectories", "attempt", "cot_type", "source_type", "metadata"}


@pytest.fixture(scope="module")
def spec():
    return MiniPoolParams(n_pool=3000, test_per_cell=3, n=60)


@pytest.fixture(scope="module")
def pool(spec):
    test = held_out_problems(spec)
    return test, pool_rows(spec, test)


@pytest.fixture(scope="module")
def prepared(spec, tmp_path_factory):
    runs = tmp_path_factory.mktemp("runs")
    params = load_params("params/smoke.yaml", {"profile": "test-mini-pool", "mini_pool": spec.model_dump()})
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ablations, "runs_dir", lambda profile: runs / profile)
        yield params, ablations.prepare_pool(params)


def solve(question: str) -> int:
    """Each domain's answer worked out from the question text alone, independently of the generator."""
    values = re.findall(r"\d+", question)
    if question.startswith("Count the letter"):
        target, text = re.match(r"Count the letter (\w) in (.*)\.$", question).groups()
        return text.split().count(target)
    if question.startswith("Add up the digits"):
        return sum(map(int, values))
    if question.startswith("Start at"):
        total = int(values[0])
        for sign, amount in re.findall(r"(add|subtract) (\d+)", question):
            total += int(amount) if sign == "add" else -int(amount)
        return total
    if question.startswith("Find the largest"):
        return max(map(int, values))
    if question.startswith("Which is larger"):
        a, b = re.match(r"Which is larger, ([\d ]+) or ([\d ]+)\?", question).groups()
        return max(int(a.replace(" ", "")), int(b.replace(" ", "")))
    if question.startswith("How many even"):
        return sum(int(v) % 2 == 0 for v in values)
    raise AssertionError(f"unknown question form: {question}")


def test_the_pool_is_a_function_of_its_seed(spec):
    first, again = pool_rows(spec, held_out_problems(spec)), pool_rows(spec, held_out_problems(spec))
    assert first == again
    other = spec.model_copy(update={"seed": 1})
    assert pool_rows(other, held_out_problems(other)) != first


def test_rows_have_the_s1_schema_and_correct_solutions(pool):
    test, rows = pool
    assert all(S1_FIELDS <= set(r) for r in rows)
    assert all(isinstance(r["thinking_trajectories"], list) and r["thinking_trajectories"][0] for r in rows)
    for r in rows:
        if not string_problem(r):  # an artefact's marker (and its copies') is part of the question
            assert int(r["solution"]) == solve(r["question"]), r["question"]
        assert r["isgeminicorrect"] == (r["attempt"] == r["solution"])
    assert all(int(p.answer) == solve(p.question) for p in test)


def test_the_test_set_covers_every_domain_and_level_evenly(spec, pool):
    test, _ = pool
    cells = Counter((p.domain, p.level) for p in test)
    assert len(DOMAINS) >= 6
    assert set(cells) == {(d, lv) for d in DOMAINS for lv in LEVELS}
    assert set(cells.values()) == {spec.test_per_cell}
    assert all(len(p.question.split()) >= 8 for p in test)  # 8-gram decontamination sees every question


def test_the_default_pool_is_skewed_like_a_real_one_and_several_subsets_large():
    spec = MiniPoolParams()
    rows = pool_rows(spec, held_out_problems(spec))
    assert len(rows) == spec.n_pool >= 5 * spec.n  # the full arm at the subsets' epochs: >= 5x their compute
    levels = Counter(level_of(r) for r in rows)
    assert levels[1] > 0.4 * len(rows) and levels[4] < 0.1 * len(rows)  # most rows easy
    domains = Counter(r["domain"] for r in rows)
    assert max(domains.values()) >= 4 * min(domains.values())
    defects = Counter(defect_of(r) for r in rows)
    assert {"wrong answer", "formatting artefact", "duplicate", "test overlap"} <= set(defects)


def test_easy_problems_mostly_get_brief_traces_and_hard_ones_worked_traces(spec, pool):
    _, rows = pool
    clean = [r for r in rows if defect_of(r) is None]
    worked = [
        statistics.mean("So the answer is" in r["thinking_trajectories"][0] for r in clean if level_of(r) == lv)
        for lv in LEVELS
    ]
    assert worked == sorted(worked) and worked[-1] == 1.0
    assert all(abs(w - share) < 0.1 for w, share in zip(worked, spec.worked_shares))


def test_traces_grow_with_difficulty_in_every_domain(prepared):
    _, prep = prepared
    for domain in DOMAINS:
        medians = [
            statistics.median(
                r["length"] for r in prep.rows if r["domain"] == domain and level_of(r) == lv and defect_of(r) is None
            )
            for lv in LEVELS
        ]
        assert medians == sorted(medians) and medians[0] < medians[-1], (domain, medians)


def test_planted_defects_are_caught_by_the_pipeline(spec, pool, prepared):
    test, rows = pool
    _, prep = prepared
    duplicates = sum(defect_of(r) == "duplicate" for r in rows)
    assert len(check_rows(rows).problems) == duplicates > 0  # each copy comes after its original
    assert not any(defect_of(r) == "duplicate" for r in prep.rows)
    overlaps = sum(defect_of(r) == "test overlap" for r in rows)
    assert overlaps > 0 and not any(defect_of(r) == "test overlap" for r in prep.rows)
    assert {r.against for r in prep.removed} == {ablations.BENCHMARK}
    assert not {p.question for p in test} & {r["question"] for r in prep.rows}
    artefacts = [r for r in prep.rows if defect_of(r) == "formatting artefact"]
    assert artefacts and all(string_problem(r) for r in artefacts)
    _, clean, _ = quality_filter(prep.rows)
    assert not any(defect_of(r) == "formatting artefact" for r in clean)
    # wrong answers stay, as in the paper's s1K; they only fail the trace-correctness a benchmark seed needs
    assert any(defect_of(r) == "wrong answer" and not r["trace_correct"] for r in clean)


def test_decontamination_removes_little_beyond_the_planted_overlap(pool, prepared):
    _, rows = pool
    _, prep = prepared
    overlaps = sum(defect_of(r) == "test overlap" for r in rows)
    assert overlaps <= len(prep.removed) <= overlaps + 0.02 * len(rows)


def test_arms_follow_their_rules(spec, prepared):
    params, prep = prepared
    arms = ablations.build_arms(params, prep)
    assert set(arms) == set(ablations.ARMS)
    for arm in ("1K-random", "1K-diverse", "1K-longest", "s1K-mini"):
        assert len(arms[arm].rows) == spec.n, arm
        assert not any(defect_of(r) == "formatting artefact" for r in arms[arm].rows), arm
    assert len(arms["full pool"].rows) == len(prep.rows)
    s1k = arms["s1K-mini"].rows
    assert all(r["length"] >= spec.min_length for r in s1k)  # difficulty
    assert {r["domain"] for r in s1k} == set(DOMAINS)  # diversity
    _, clean, _ = quality_filter(prep.rows)
    longest = sorted(r["length"] for r in clean)[-spec.n :]
    assert sorted(r["length"] for r in arms["1K-longest"].rows) == longest
    easy = sum(level_of(r) == 1 for r in arms["1K-random"].rows) / spec.n
    assert easy > 0.3 and sum(level_of(r) == 1 for r in s1k) == 0  # random mirrors the pool's skew


def test_the_full_arm_trains_a_multiple_of_the_steps(prepared):
    params, _ = prepared
    params = params.model_copy(update={"mini_pool": params.mini_pool.model_copy(update={"full_compute": 5.0})})
    subset = ablations.arm_params(params, "s1K-mini").train
    full = ablations.arm_params(params, "full pool").train
    assert full.max_steps == 5 * subset.max_steps
    assert {k: v for k, v in full.model_dump().items() if k != "max_steps"} == {
        k: v for k, v in subset.model_dump().items() if k != "max_steps"
    }
    assert ablations.arm_params(params, "1K-random").train == subset


def test_the_study_reads_differences_from_paired_samples(tmp_path, monkeypatch):
    correct = {
        "s1K-mini": [1, 1, 1, 1, 0, 1, 1, 1],
        "1K-random": [0, 0, 1, 0, 0, 0, 1, 0],
        "1K-diverse": [1, 0, 1, 0, 0, 1, 1, 0],
        "1K-longest": [1, 1, 0, 0, 0, 0, 1, 1],
        "full pool": [1, 1, 1, 1, 0, 1, 1, 0],
        "base": [0] * 8,
    }
    ids = [f"{d}-{lv}-{i}" for i, (d, lv) in enumerate([("digit-sum", 1), ("evens", 4)] * 4)]
    results = []
    for model, marks in correct.items():
        folder = tmp_path / model
        folder.mkdir()
        folder.joinpath("samples.jsonl").write_text(
            "".join(json.dumps({"id": i, "correct": bool(c)}) + "\n" for i, c in zip(ids, marks))
        )
        results.append({"model": model, "setting": "budget forcing", "benchmark": "mini-pool", "folder": folder})
    monkeypatch.setattr(ablations, "run_dir_of", lambda r: r["folder"])
    monkeypatch.setattr(suite, "run_dir_of", lambda r: r["folder"])
    diffs = ablations.differences(results)
    assert diffs["s1K-mini"]["diff"] == 0 and diffs["s1K-mini"]["accuracy"] == 87.5
    assert diffs["1K-random"]["diff"] == pytest.approx(-62.5) and diffs["1K-random"]["ci_high"] < 0
    by_level = ablations.accuracy_by(results, "level")
    assert by_level.loc["s1K-mini", 1] == 75.0 and by_level.loc["s1K-mini", 4] == 100.0
    table = ablations.table(results)  # only the setting the study evaluated, as the paper's Table 2
    assert list(table.columns) == ["budget forcing"]
    assert (
        table.loc["1K-random", "budget forcing"].startswith("25.0 [")
        and table.loc["s1K-mini", "budget forcing"] == "87.5"
    )
    assert ablations.bucket("running-total-3-17", "domain") == "running-total"


def test_bad_shares_name_the_field():
    with pytest.raises(ParamsError, match="mini_pool.level_shares"):
        load_params("params/smoke.yaml", {"mini_pool": {"level_shares": [1, 0, 0]}})
    with pytest.raises(ParamsError, match="mini_pool.domain_shares"):
        load_params("params/smoke.yaml", {"mini_pool": {"domain_shares": {"letters": -1}}})
    with pytest.raises(ParamsError, match="mini_pool.domain_shares"):
        load_params("params/smoke.yaml", {"mini_pool": {"domain_shares": {"spelling": 1}}})


def test_arm_trainings_are_kept_apart_from_the_paper_pool_ones(prepared, monkeypatch):
    params, prep = prepared
    trained = {}
    monkeypatch.setattr("s1lib.train.train", lambda p, subset, progress=True: trained.setdefault(subset, p.train))
    arms = ablations.build_arms(params, prep)
    ablations.train_arms(params, arms, progress=False)
    names = sorted(Path(subset).stem for subset in trained)
    assert names == sorted(f"mini-pool-{method}" for method in ablations.ARMS.values())
    for subset, recipe in trained.items():  # what was written is the arm's selection, in the s1 schema
        rows = [json.loads(line) for line in Path(subset).read_text().splitlines()]
        method = Path(subset).stem.removeprefix("mini-pool-")
        arm = next(a for a, m in ablations.ARMS.items() if m == method)
        assert [r["question"] for r in rows] == [r["question"] for r in arms[arm].rows]
        assert recipe == ablations.arm_params(params, arm, len(arms[arm].rows)).train


def test_the_reference_at_full_compute_trains_its_own_rows_for_the_full_arms_steps(prepared, monkeypatch):
    params, prep = prepared
    calls = []
    monkeypatch.setattr("s1lib.train.train", lambda p, subset, progress=True: calls.append((p.train, subset)))
    arms = ablations.build_arms(params, prep)
    ablations.train_reference_at_full_compute(params, arms, progress=False)
    ((recipe, subset),) = calls
    full = ablations.arm_params(params, "full pool", len(arms["full pool"].rows)).train
    assert recipe == ablations.arm_params(params, ablations.REFERENCE).train.model_copy(
        update={"max_steps": full.max_steps}
    )
    assert full.max_steps > params.mini_pool.train.max_steps
    rows = [json.loads(line) for line in Path(subset).read_text().splitlines()]
    assert [r["question"] for r in rows] == [r["question"] for r in arms[ablations.REFERENCE].rows]
