"""`s1lib plan`: the paper's run checked without a GPU."""

import pytest

from s1lib.cli import main
from s1lib.params import load_params
from s1lib.plan import KNOWN_SHAPES, make_plan, parameter_count


def section(plan, title):
    return next(rows for t, rows in plan.sections if t.startswith(title))


def test_the_paper_plan_on_two_nodes_of_eight(capsys, shared_data):
    assert main(["plan", "--profile", "paper"]) == 0
    out = capsys.readouterr().out
    assert "none: the plan can run" in out
    plan = make_plan(load_params("params/paper.yaml"))
    steps = section(plan, "optimization")[0]
    assert (steps["optimizer steps"], steps["warmup steps"], steps["accumulation"]) == (315, 16, 1)
    launch = section(plan, "launch")
    assert [row["node"] for row in launch] == [0, 1] and "--machine_rank 1" in launch[1]["command"]
    assert "--num_processes 16" in launch[0]["command"] and "/work" not in launch[0]["command"]


def test_memory_estimate_agrees_with_what_official_users_report():
    """s1-32B at block 32768 does not fit on 8 x H100 80 GB and fits on 16 (official repository issues)."""
    assert parameter_count(KNOWN_SHAPES["Qwen/Qwen2.5-32B-Instruct"]) == pytest.approx(32.76e9, rel=0.01)
    assert parameter_count(KNOWN_SHAPES["Qwen/Qwen2.5-1.5B-Instruct"]) == pytest.approx(1.54e9, rel=0.01)
    paper = load_params("params/paper.yaml")
    sixteen = section(make_plan(paper), "memory per GPU")[-1]["GB"]
    eight_plan = make_plan(paper, nodes=1, gpus_per_node=8)
    eight = section(eight_plan, "memory per GPU")[-1]["GB"]
    assert sixteen < 80 < eight
    assert any("more than 80 GB" in p for p in eight_plan.problems)


def test_plan_exits_nonzero_naming_each_problem(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("S1LIB_DATA_DIR", str(tmp_path))  # an empty mirror: the local-only MATH pool is missing
    profile = tmp_path / "p.yaml"
    profile.write_text(
        "profile: p\nengine:\n  max_model_len: 4096\nforcing:\n  max_generation: 4096\n"
        "sweep:\n  task: benchmarks\n  budgets: [1024, 8192]\ndata:\n  pool: smoke-pool\n"
    )
    assert main(["plan", "--params", str(profile)]) == 1
    out = capsys.readouterr().out
    assert "math-pool-partial exists only as a local copy" in out
    assert "a thinking budget of 8192 tokens is longer than the context (4096)" in out


def test_training_set_lengths_are_counted_with_the_qwen_tokenizer(tmp_path):
    rows = [{"question": "q" * 10, "thinking_trajectories": ["word " * n], "attempt": "a"} for n in (50, 5000)]
    subset = tmp_path / "train.jsonl"
    subset.write_text("".join(__import__("json").dumps(r) + "\n" for r in rows))
    profile = tmp_path / "p.yaml"
    profile.write_text(f"profile: p\ndata:\n  train_set: {subset}\ntrain:\n  max_length: 1024\n")
    plan = make_plan(load_params(str(profile)))
    stats = section(plan, "training set")[0]
    assert stats["rows"] == 2 and stats["over block 1024"] == 1 and stats["max"] > 5000
    assert section(plan, "optimization")[0]["examples"] == 2
