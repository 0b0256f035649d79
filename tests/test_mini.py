"""s1 in miniature: the task generator, its traces, the training set and the study's plumbing."""

import json

import pytest

from s1lib.eval.grade import grade
from s1lib.mini import held_out_questions, study_params, training_params, write_training_set
from s1lib.mini.letters import RECOUNT_INTRO, Item, items, recount, trace_stats, training_rows
from s1lib.params import MiniParams, ParamsError, load_params


def test_items_are_seeded_and_held_out_strings_and_letters_never_reach_training():
    mini = MiniParams(n_train=300, n_test=100, heldout_letters="dkm")
    train, test = items(mini, "train"), items(mini, "test")
    assert train == items(mini, "train") and test == items(mini, "test")
    assert items(MiniParams(n_train=300, n_test=100, heldout_letters="dkm", seed=1), "test") != test
    assert len({i.text for i in train}) == 300 and len({i.text for i in test}) == 100
    assert not {i.text for i in train} & {i.text for i in test}
    assert {i.letter for i in test} <= set("dkm") and not {i.letter for i in train} & set("dkm")
    for item in train + test:
        assert mini.min_length <= len(item.text) <= mini.max_length and 1 <= item.count <= (len(item.text) + 1) // 2


def test_recount_is_a_running_total_ending_at_the_answer():
    item = Item("n", "jnninonlnn")
    assert item.count == 6 and item.question == "How many times does the letter n appear in j n n i n o n l n n?"
    assert recount(item) == "j0 n1 n2 i2 n3 o3 n4 l4 n5 n6"


def test_traces_mix_quick_guesses_with_a_minority_of_recounts():
    mini = MiniParams(n_train=2000, wait_fraction=0.25, guess_accuracy=0.2)
    rows = training_rows(mini)
    stats = trace_stats(rows)
    assert 0.21 < stats["re-check after Wait"] / 2000 < 0.29 and 0.16 < stats["quick guess right"] < 0.24
    for row in rows:
        thinking = row["thinking_trajectories"][0]
        assert thinking.startswith("Quick count: ")
        if RECOUNT_INTRO in thinking:  # the recount is always right, and so is the answer after it
            assert thinking.split("\n")[1].startswith("Wait, ") and row["attempt"] == row["solution"]
            assert thinking.endswith(f" So {row['solution']}.")
        else:
            assert thinking == f"Quick count: {row['attempt']}."
    assert trace_stats(training_rows(MiniParams(n_train=50, wait_fraction=0)))["re-check after Wait"] == 0


def test_held_out_questions_grade_as_exact_integers():
    qs = held_out_questions(MiniParams(n_test=20))
    assert len(qs) == 20 and all(q.kind == "integer" for q in qs)
    q = qs[0]
    assert grade(q.kind, f"<|im_start|>answer\nAnswer: {q.gold}", q.gold).correct
    assert not grade(q.kind, f"Answer: {int(q.gold) + 1}", q.gold).correct
    assert not grade(q.kind, "Answer: many", q.gold).correct


def test_mini_params_name_the_bad_key():
    with pytest.raises(ParamsError, match="mini.wait_fraction"):
        load_params("params/smoke.yaml", {"mini": {"wait_fraction": 1.5}})
    with pytest.raises(ParamsError, match="mini.heldout_letters"):
        load_params("params/smoke.yaml", {"mini": {"heldout_letters": "AB"}})
    with pytest.raises(ParamsError, match="min_length"):
        load_params("params/smoke.yaml", {"mini": {"min_length": 9, "max_length": 4}})


def test_training_set_is_in_the_s1k_schema_and_tokenizes_with_the_sft_mask(tmp_path, monkeypatch, smol_tokenizer):
    from s1lib.data.pool import check_rows
    from s1lib.train.dataset import load_rows, tokenize_example

    monkeypatch.setattr("s1lib.mini.study.runs_dir", lambda profile: tmp_path / profile)
    params = load_params("params/smoke.yaml", {"mini": {"n_train": 30}})
    path = write_training_set(params)
    assert path == tmp_path / "smoke" / "data" / "mini-letters.jsonl"
    mtime = path.stat().st_mtime_ns
    assert write_training_set(params).stat().st_mtime_ns == mtime  # unchanged content is not rewritten
    rows = load_rows(str(path), params.profile)
    assert len(rows) == 30 and not check_rows(rows).problems
    example = tokenize_example(
        smol_tokenizer, rows[0]["question"], rows[0]["thinking_trajectories"], rows[0]["attempt"], 256
    )
    trained = smol_tokenizer.decode([t for t, m in zip(example["input_ids"], example["completion_mask"]) if m])
    assert (
        trained == f"<|im_start|>think\n{rows[0]['thinking_trajectories'][0]}\n<|im_start|>answer\n"
        f"Answer: {rows[0]['attempt']}<|im_end|>"
    )
    p = training_params(params)
    assert p.model.name == "smollm2-135m" and p.train == params.mini.train
    assert " ".join(json.loads(rows[0]["metadata"])["text"]) in rows[0]["question"]


def test_the_study_runs_the_trained_model_in_the_miniatures_precision_on_its_questions():
    params = load_params("params/smoke.yaml", {"mini": {"dtype": "float32"}})
    study = study_params(params, "runs/smoke/sft/mini-letters-0/final")
    assert study.model.name == "runs/smoke/sft/mini-letters-0/final" and study.model.dtype == "float32"
    assert study.eval.benchmarks == ["mini-letters"] and study.forcing == params.mini.forcing
    assert study.engine.batch_size == params.mini.batch_size and study.engine.name == params.engine.name
