"""Grading: the hand-checked cases in tests/data/grading_cases.jsonl, the time limit, voting, form rules."""

import json
import os
import time
from pathlib import Path

import pytest

from s1lib.eval import verify
from s1lib.eval.answers import answer_section, extract_answer, last_boxed
from s1lib.eval.grade import canonical_answers, grade, grade_many, gsm8k_gold, reason_counts
from s1lib.eval.metrics import majority_at_k

A = "<|im_start|>think\nsome thinking\n<|im_start|>answer\n"
CASES = [
    json.loads(line) for line in (Path(__file__).parent / "data" / "grading_cases.jsonl").read_text().splitlines()
]


def _output(case: dict) -> str:
    return case.get("output", A + case.get("answer", ""))


@pytest.mark.parametrize("case", CASES, ids=[f"{i}-{c['kind']}-{c['why'][:40]}" for i, c in enumerate(CASES)])
def test_hand_checked_case(case):
    result = grade(case["kind"], _output(case), case["gold"], question=case.get("question"))
    assert result.correct is case["correct"], f"{case['why']}: {result}"


def test_the_cases_file_covers_every_kind_with_reasons():
    assert len(CASES) >= 150
    assert {c["kind"] for c in CASES} == {"aime", "math", "gsm8k", "gpqa"}
    assert all(c["why"] for c in CASES)
    assert sum(not c["correct"] for c in CASES if c["kind"] == "gpqa") >= 15  # hedges and non-answers


def test_grading_many_at_once_agrees_with_one_at_a_time():
    items = [(c["kind"], _output(c), c["gold"], c.get("question")) for c in CASES]
    assert [g.correct for g in grade_many(items)] == [c["correct"] for c in CASES]


def test_official_answer_regex_takes_everything_after_the_first_answer():
    text = A + "Answer: 41, no wait.\nFinal Answer: 42"
    assert extract_answer(text, official=True) == "41, no wait.\nFinal Answer: 42"
    assert extract_answer(text) == "42"
    assert not grade("math", text, "42", official=True).correct and grade("math", text, "42").correct


def test_official_gpqa_defaults_to_a():
    assert grade("gpqa", A + "no idea", "A", official=True).correct
    assert not grade("gpqa", A + "no idea", "A").correct


def test_answer_section_fallbacks():
    assert answer_section("x<|im_start|>answer\nFinal Answer: 3") == "Final Answer: 3"
    assert answer_section("x<|im_start|>assistant\nAnswer: 3") == "Answer: 3"
    assert answer_section("plain Answer: 3") == "plain Answer: 3"
    assert last_boxed("\\boxed{a{b}c}") == "a{b}c"


def test_gsm8k_gold():
    assert gsm8k_gold("She pays 3 * 4 = <<3*4=12>>12 dollars.\n#### 1,212") == "1212"


def test_all_math500_gold_solutions_grade_correct(shared_data):
    from s1lib.data.sources import load

    rows = load("math500")
    correct = sum(grade("math", r["solution"], r["answer"]).correct for r in rows)
    assert (correct, len(rows)) == (500, 500)


def test_all_math500_gold_solutions_keep_their_own_form(shared_data):
    from s1lib.data.sources import load
    from s1lib.eval.form import demands

    rows = load("math500")
    graded = grade_many([("math", r["solution"], r["answer"], r["problem"]) for r in rows])
    assert sum(g.correct for g in graded) == 500  # a form rule never fails the reference's own answer
    assert sum(bool(demands(r["problem"])) for r in rows) == 37  # the count form.py's docstring gives


def _children() -> dict[int, int]:
    """{pid: CPU ticks used} of this process's children, from /proc."""
    out = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if int(fields[1]) == os.getpid():
            out[int(stat.parent.name)] = int(fields[11]) + int(fields[12])
    return out


def test_an_answer_that_hangs_sympy_is_killed_at_the_limit(monkeypatch):
    verify.equal_many([("1", "1+0"), ("2", "1+1")])  # both workers up and warm
    workers = set(_children())
    monkeypatch.setattr(verify, "guard", lambda pred: None)  # let the exponent tower reach sympy
    start = time.monotonic()
    ((ok, reason),) = verify.equal_many([("10", "10^{10^{10}}")], timeout=1.0)
    assert (ok, reason) == (False, "timeout")
    assert time.monotonic() - start < 4
    assert len(workers - set(_children())) == 1  # the worker computing the power was killed, not abandoned
    start = time.monotonic()
    assert grade("math", A + "\\boxed{x+1}", "1+x").correct
    assert time.monotonic() - start < 3  # later grades are not slowed down
    time.sleep(2)  # the replacement worker has imported sympy; nothing is left computing
    before = _children()
    time.sleep(0.5)
    assert [pid for pid, ticks in _children().items() if ticks - before.get(pid, ticks) > 10] == []


def test_guards_grade_absurd_answers_wrong_at_once():
    start = time.monotonic()
    results = grade_many(
        [
            ("math", A + "\\boxed{10^{10^{10}}}", "10"),
            ("math", A + "\\boxed{(10^9)!}", "1"),
            ("math", A + "\\boxed{" + "1+" * 2000 + "1}", "1"),
        ]
    )
    assert time.monotonic() - start < 1
    assert [r.correct for r in results] == [False, False, False]
    assert [r.reason.split(" ")[0] for r in results] == ["power", "factorial", "too"]


def test_an_unreadable_answer_is_wrong_with_its_reason_not_raised():
    ((ok, reason),) = verify.equal_many([("1", "}{")])
    assert ok is False and reason.startswith("unparsable")


def test_metrics_count_grading_reasons():
    from s1lib.eval.runner import summarize

    samples = [
        {
            "correct": False,
            "grade_reason": "timeout",
            "paper_thinking_tokens": 1,
            "thinking_tokens": 1,
            "forced_end": False,
            "n_ignored": 0,
        },
        {
            "correct": False,
            "grade_reason": "hedge: A, B",
            "paper_thinking_tokens": 1,
            "thinking_tokens": 1,
            "forced_end": False,
            "n_ignored": 0,
        },
    ]
    metrics = summarize(samples, {"benchmark": "gpqa-diamond"})
    assert metrics["grade_timeouts"] == 1 and metrics["grade_reasons"] == {"hedge": 1, "timeout": 1}
    assert reason_counts([None, "form: the question asks for factor form"]) == {"form": 1}


def test_majority_votes_on_equivalent_answers():
    answers = ["7", "25", "025"]
    graded = [grade("aime", A + f"\\boxed{{{a}}}", "25") for a in answers]
    assert canonical_answers("aime", answers) == ["7", "25", "25"]
    assert majority_at_k(canonical_answers("aime", answers), [g.correct for g in graded], 3) is True
    assert majority_at_k(answers, [g.correct for g in graded], 3) is False  # raw strings split the vote
    assert canonical_answers("math", ["\\frac12", "0.5", "1/2", "x", None]) == ["\\frac12"] * 3 + ["x", None]
    assert canonical_answers("gpqa", ["B", "C", "B"]) == ["B", "C", "B"]


def test_shutdown_leaves_no_worker_behind():
    grade("math", A + "\\boxed{x+1}", "1+x")  # the pool is up
    verify.shutdown()
    assert _children() == {}
    assert grade("math", A + "\\boxed{x+1}", "1+x").correct  # and comes back on demand


PAIRS = [("1/2", "0.5"), ("x+1", "1+x"), ("3", "4"), ("10", "10^{10^{10}}"), ("1", "}{")]


def _grade_in_a_pool_worker(pool_fails: bool):
    """Runs in a multiprocessing.Pool worker, a daemonic process that may not start children."""
    import multiprocessing

    assert multiprocessing.current_process().daemon
    if pool_fails:  # a pool that cannot start is an error naming why, not a crash from inside pebble
        verify.in_process = lambda: False
        try:
            verify.equal_many(PAIRS)
        except verify.GradingError as err:
            return str(err)
        return "no GradingError"
    results = verify.equal_many(PAIRS)
    return results, grade("math", A + "\\boxed{\\frac{1}{2}}", "0.5").correct, _children()


def test_grading_inside_a_pool_worker_runs_in_process_with_the_same_guards():
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(1) as pool:
        results, graded, children = pool.apply(_grade_in_a_pool_worker, (False,))
        error = pool.apply(_grade_in_a_pool_worker, (True,))
    assert [ok for ok, _ in results] == [True, True, False, False, False]
    assert results[3][1].startswith("power too large") and results[4][1].startswith("unparsable")
    assert graded is True and children == {}  # graded in the worker itself
    assert "could not start" in error and "daemonic processes are not allowed to have children" in error
    assert "S1LIB_GRADE_WORKERS=0" in error


def test_no_workers_asked_for_grades_in_process(monkeypatch):
    verify.shutdown()
    monkeypatch.setattr(verify, "_WORKERS", 0)
    assert [ok for ok, _ in verify.equal_many(PAIRS)] == [True, True, False, False, False]
    assert verify._pool is None and _children() == {}


@pytest.mark.parametrize(
    "kind, output",
    [
        ("gpqa", "A and " * 200_000 + "B"),
        ("gpqa", "Answer: " + "A B C D " * 100_000),
        ("math", "Answer: " + " " * 200_000 + "x"),
        ("math", "Answer: " + "a" * 300_000 + " (since)"),
        ("aime", "Answer: " + "1 " * 200_000),
        ("gpqa", "Some prose. " * 50_000 + "So B."),
        ("math", "\\boxed{" * 5000),
    ],
)
def test_megabyte_outputs_are_read_in_linear_time(kind, output):
    start = time.monotonic()
    grade(kind, A + output, "B" if kind == "gpqa" else "1")
    assert time.monotonic() - start < 2


def test_an_empty_box_is_no_answer():
    assert grade("math", A + "\\boxed{}", "1").reason == "no answer"
