"""`s1lib distill` against an in-process server that misbehaves on a schedule: retries recover, permanent failures
are recorded and retried on the next run, nothing is lost or written twice, and the key never reaches a file."""

import json
import subprocess
import sys

import pytest

from s1lib.distill import Prices, Settings, distill, split_reasoning
from s1lib.distill.store import DistillError

from fake_openai import FakeOpenAI

QUESTIONS = [
    {"question": f"Question {i}: what is 6 times 7?", "solution": "42" if i % 2 == 0 else "41", "source_type": "test"}
    for i in range(6)
]


@pytest.fixture
def questions(tmp_path):
    path = tmp_path / "questions.jsonl"
    path.write_text("".join(json.dumps(q) + "\n" for q in QUESTIONS))
    return path


def rows(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_faults_recover_permanent_failures_are_recorded_and_retried(questions, tmp_path, monkeypatch):
    monkeypatch.setenv("TEST_KEY", "sk-secret-do-not-log")
    q = [r["question"] for r in QUESTIONS]
    faults = {
        q[0]: ["429", "429"],
        q[1]: ["500"],
        q[2]: ["drop"],
        q[3]: ["timeout"],
        q[4]: ["400"],
        q[5]: ["503"] * 10,
    }
    out = tmp_path / "traces.jsonl"
    with FakeOpenAI(faults, stall=2.0) as server:

        def run():
            return distill(
                str(questions),
                Settings(model="fake"),
                out,
                base_url=server.base_url,
                api_key_env="TEST_KEY",
                concurrency=4,
                timeout=1.0,
                max_retries=3,
                progress=False,
            )

        summary = run()
        assert (summary["ok"], summary["failed"]) == (4, 2)
        tries = {question: [(a, t) for qq, a, _, t in server.attempts if qq == question] for question in q}
        assert [a for a, _ in tries[q[0]]] == ["429", "429", "ok"]
        assert tries[q[0]][1][1] - tries[q[0]][0][1] >= 0.9  # Retry-After: 1 was honoured
        assert [a for a, _ in tries[q[1]]] == ["500", "ok"] and [a for a, _ in tries[q[2]]] == ["drop", "ok"]
        assert [a for a, _ in tries[q[3]]] == ["timeout", "ok"]
        assert [a for a, _ in tries[q[4]]] == ["400"]  # a bad request is not retried
        assert len(tries[q[5]]) == 4  # the first try and three retries
        assert all(h.get("authorization") == "Bearer sk-secret-do-not-log" for *_, h, _ in server.attempts)

        errors = rows(tmp_path / "traces.errors.jsonl")
        assert sorted(e["question"] for e in errors) == sorted([q[4], q[5]])
        assert all(e["error"] for e in errors)

        server.faults.clear()  # the server recovers: the next run retries exactly the failed questions
        again = run()
        assert (again["ok"], again["failed"], again["already_done"]) == (2, 0, 4)
    written = rows(out)
    assert sorted(r["question"] for r in written) == sorted(q)  # nothing lost, nothing twice
    assert not (tmp_path / "traces.errors.jsonl").exists()
    for name in ("traces.jsonl", "traces.settings.json"):
        assert "sk-secret" not in (tmp_path / name).read_text()


def test_malformed_bodies_are_retried_like_5xx_within_the_retry_limit(questions, tmp_path):
    """A 200 whose JSON is cut off, or which is not JSON, is a transient fault; a 4xx after it stays permanent."""
    q = [r["question"] for r in QUESTIONS]
    faults = {
        q[0]: ["truncated", "truncated"],
        q[1]: ["not-json"],
        q[2]: ["truncated"] * 10,
        q[3]: ["truncated", "400"],
        q[4]: ["truncated", "500", "not-json"],
    }
    out = tmp_path / "traces.jsonl"
    with FakeOpenAI(faults) as server:
        summary = distill(
            str(questions),
            Settings(model="fake"),
            out,
            base_url=server.base_url,
            concurrency=6,
            max_retries=3,
            progress=False,
        )
        tries = {question: [a for qq, a, *_ in server.attempts if qq == question] for question in q}
    assert (summary["ok"], summary["failed"]) == (4, 2)
    assert tries[q[0]] == ["truncated", "truncated", "ok"] and tries[q[1]] == ["not-json", "ok"]
    assert tries[q[2]] == ["truncated"] * 4  # the first try and three retries, then recorded
    assert tries[q[3]] == ["truncated", "400"]  # the 400 is not retried
    assert tries[q[4]] == ["truncated", "500", "not-json", "ok"]
    errors = {e["question"]: e["error"] for e in rows(tmp_path / "traces.errors.jsonl")}
    assert set(errors) == {q[2], q[3]} and "cut off" in errors[q[2]] and "400" in errors[q[3]]
    assert sorted(r["question"] for r in rows(out)) == sorted([q[0], q[1], q[4], q[5]])


def test_rows_are_in_the_s1_schema_and_graded(questions, tmp_path):
    out = tmp_path / "traces.jsonl"
    with FakeOpenAI() as server:
        distill(
            str(questions),
            Settings(model="fake"),
            out,
            base_url=server.base_url,
            progress=False,
            prices=Prices(1.0, 2.0),
        )
    for row in rows(out):
        assert row["thinking_trajectories"] == [f"Let me think about: {row['question']}"]
        assert row["attempt"] == "The answer is \\boxed{42}."
        assert row["isgeminicorrect"] is (row["solution"] == "42")
        assert row["distill"]["reasoning_from"] == "reasoning_content" and row["distill"]["cost"] == pytest.approx(
            5e-5
        )
        assert len(row["question_hash"]) == 16 and row["source_type"] == "test"
    from s1lib.data.pool import check_rows

    assert not check_rows(rows(out)).problems  # the pipeline reads them as a pool


def test_difficulty_passes_add_the_columns_the_selection_reads(questions, tmp_path):
    from s1lib.data.features import featurize

    with FakeOpenAI(reasoning_field="think-tags") as server:
        distill(
            str(questions), Settings(model="fake"), tmp_path / "traces.jsonl", base_url=server.base_url, progress=False
        )
        for model, source, out in [
            ("Qwen/Qwen2.5-7B-Instruct", "traces", "with-7b"),
            ("Qwen/Qwen2.5-32B-Instruct", "with-7b", "with-both"),
        ]:
            distill(
                str(tmp_path / f"{source}.jsonl"),
                Settings(model=model, role="difficulty"),
                tmp_path / f"{out}.jsonl",
                base_url=server.base_url,
                progress=False,
            )
    befores = {r["question"]: r for r in rows(tmp_path / "traces.jsonl")}
    afters = {r["question"]: r for r in rows(tmp_path / "with-both.jsonl")}  # in the order replies came
    for question, after in afters.items():
        before = befores[question]
        assert after["isqwen7bcorrect"] is after["isqwen32bcorrect"] is (after["solution"] == "42")
        columns = ("isqwen7bcorrect", "isqwen32bcorrect", "difficulty_runs")
        assert {k: v for k, v in after.items() if k not in columns} == before
        assert after["difficulty_runs"]["isqwen32bcorrect"]["answer"] == "The answer is \\boxed{42}."
    # hard = both reference models wrong: the questions whose solution the fake's "42" misses
    assert all(r["hard"] is (r["solution"] != "42") for r in featurize(list(afters.values())))


def test_resume_refuses_other_settings_and_drops_a_torn_line(questions, tmp_path):
    out = tmp_path / "traces.jsonl"
    with FakeOpenAI() as server:
        distill(str(questions), Settings(model="fake"), out, base_url=server.base_url, limit=3, progress=False)
        with pytest.raises(DistillError, match="temperature"):
            distill(
                str(questions), Settings(model="fake", temperature=0.7), out, base_url=server.base_url, progress=False
            )
        text = out.read_text().splitlines(keepends=True)
        out.write_text("".join(text[:2]) + text[2][:40])  # killed in the middle of writing the third row
        summary = distill(str(questions), Settings(model="fake"), out, base_url=server.base_url, progress=False)
        assert (summary["already_done"], summary["ok"]) == (2, 4)
    assert len(rows(out)) == 6 and len({r["question_hash"] for r in rows(out)}) == 6


def test_runs_inside_a_running_event_loop_as_in_jupyter(questions, tmp_path):
    import asyncio

    async def notebook_cell():
        with FakeOpenAI() as server:
            return distill(
                str(questions), Settings(model="fake"), tmp_path / "t.jsonl", base_url=server.base_url, progress=False
            )

    assert asyncio.run(notebook_cell())["ok"] == len(QUESTIONS)


@pytest.mark.parametrize(
    "message, expected",
    [
        ({"content": "7", "reasoning_content": "think"}, ("think", "7", "reasoning_content")),
        ({"content": "7", "reasoning": "think"}, ("think", "7", "reasoning")),
        ({"content": "<think>\nthink\n</think>\n\n7"}, ("think", "7", "think-tags")),
        (
            {"content": "<|im_start|>think\nthink<|im_start|>answer\nFinal Answer: 7"},
            ("think", "Final Answer: 7", "s1-delimiters"),
        ),
        ({"content": "just 7"}, ("", "just 7", "none")),
    ],
)
def test_reasoning_is_read_wherever_the_server_puts_it(message, expected):
    assert split_reasoning(message) == expected


def test_command_line_errors_name_the_problem(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"question": "ok?"}) + "\n" + json.dumps({"prompt": "no question"}) + "\n")

    def run(*args):
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "s1lib",
                "distill",
                "--model",
                "m",
                "--out",
                str(tmp_path / "o.jsonl"),
                "--base-url",
                "http://127.0.0.1:9/v1",
                *args,
            ],
            capture_output=True,
            text=True,
        )

    done = run("--questions", str(bad))
    assert done.returncode == 2 and "row 2 field 'question'" in done.stderr
    done = run("--questions", str(tmp_path / "missing.jsonl"))
    assert done.returncode == 2 and "missing.jsonl" in done.stderr
    done = run("--questions", str(bad), "--base-url", "https://api.example.com/v1", "--api-key-env", "NO_SUCH_KEY")
    assert done.returncode == 2 and "NO_SUCH_KEY" in done.stderr
