import json
from dataclasses import replace
import os
import signal
import subprocess
import sys
import time

import pytest

from s1lib.eval.runner import EvalError, evaluate, read_samples
from s1lib.format import encode
from s1lib.params import load_params

from fakes import ScriptedEngine


def smoke(**eval_overrides):
    return load_params(
        "params/smoke.yaml",
        {
            "eval": {"limit": 5, "subset_seed": None, **eval_overrides},
            "engine": {"batch_size": 2},
            "forcing": {"max_thinking": 6, "max_answer": 8},
        },
    )


class CountingEngine(ScriptedEngine):
    """Answers every question with `\\boxed{18}`; counts the prompts it was asked for; can fail after N rounds."""

    name = "hf"

    def __init__(self, tok, fail_after_calls=None):
        box = encode(tok, "\\boxed{18}")
        w, end = encode(tok, "ab")[0], encode(tok, "<|im_end|>")[0]

        def script(sample, n, seed):
            if sample.phase == "answer":
                return box[sample.answer_tokens] if sample.answer_tokens < len(box) else end
            return w

        super().__init__(tok, script, w)
        self.prompts, self.calls, self.fail_after_calls = 0, 0, fail_after_calls

    def run(self, samples, *args, **kwargs):
        if self.fail_after_calls is not None and self.calls >= self.fail_after_calls:
            raise KeyboardInterrupt
        self.calls += 1
        self.prompts += len(samples)
        super().run(samples, *args, **kwargs)


def test_interrupted_run_resumes_only_missing(tmp_path, shared_data, smol_tokenizer):
    params = smoke()
    with pytest.raises(KeyboardInterrupt):
        evaluate(params, "gsm8k", tmp_path, engine=CountingEngine(smol_tokenizer, fail_after_calls=2), progress=False)
    first = (tmp_path / "samples.jsonl").read_text().splitlines()
    assert len(first) == 4  # two finished chunks of two
    engine = CountingEngine(smol_tokenizer)
    metrics = evaluate(params, "gsm8k", tmp_path, engine=engine, progress=False)
    assert engine.prompts == 1  # only the missing question was generated
    lines = (tmp_path / "samples.jsonl").read_text().splitlines()
    assert lines[:4] == first and len({json.loads(x)["id"] for x in lines}) == 5
    assert metrics["n"] == 5 and json.loads((tmp_path / "metrics.json").read_text())["n"] == 5
    # third run: nothing to do, no engine needed
    assert evaluate(params, "gsm8k", tmp_path, engine=None, progress=False)["accuracy"] == metrics["accuracy"]


def test_changed_setting_never_reuses_samples(tmp_path, shared_data, smol_tokenizer):
    evaluate(smoke(), "gsm8k", tmp_path, engine=CountingEngine(smol_tokenizer), progress=False)
    other = smoke()
    other = other.model_copy(update={"forcing": replace(other.forcing, ignore=1)})
    with pytest.raises(EvalError, match="other settings .*forcing"):
        evaluate(other, "gsm8k", tmp_path, engine=CountingEngine(smol_tokenizer), progress=False)


def test_metrics_and_sample_fields(tmp_path, shared_data, smol_tokenizer):
    metrics = evaluate(smoke(), "gsm8k", tmp_path, engine=CountingEngine(smol_tokenizer), progress=False)
    rows = read_samples(tmp_path / "samples.jsonl")
    assert {
        "text",
        "thinking",
        "answer",
        "extracted",
        "correct",
        "grader",
        "thinking_tokens",
        "paper_thinking_tokens",
        "n_ignored",
        "forced_end",
    } <= set(rows[0])
    assert all(r["forced_end"] and r["thinking_tokens"] == 6 for r in rows)
    assert metrics["accuracy"] == sum(r["gold"] == "18" for r in rows) / 5
    assert metrics["ci_low"] <= metrics["accuracy"] <= metrics["ci_high"]
    assert {"torch", "transformers", "math-verify"} <= set(metrics["versions"])


def test_truncated_last_line_is_dropped(tmp_path):
    f = tmp_path / "samples.jsonl"
    f.write_text('{"id": "a"}\n{"id": "b"}\n{"id": "c", "te')
    assert [r["id"] for r in read_samples(f)] == ["a", "b"]
    assert f.read_text() == '{"id": "a"}\n{"id": "b"}\n'
    f.write_text('{"id": "a"}\n{"id"\n{"id": "b"}\n')
    with pytest.raises(EvalError, match="line 2 is corrupt"):
        read_samples(f)


@pytest.mark.slow
def test_killed_cli_run_resumes(tmp_path, shared_data):
    out = tmp_path / "run"
    cmd = [
        sys.executable,
        "-m",
        "s1lib",
        "eval",
        "--benchmark",
        "gsm8k",
        "--limit",
        "6",
        "--batch-size",
        "1",
        "--max-thinking",
        "8",
        "--max-answer",
        "4",
        "--out",
        str(out),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    samples = out / "samples.jsonl"
    deadline = time.time() + 240
    while time.time() < deadline and (not samples.is_file() or len(samples.read_text().splitlines()) < 2):
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = samples.read_text().splitlines()
    assert 2 <= len(before) < 6, "the run was not interrupted part-way"
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    after = samples.read_text().splitlines()
    assert after[: len(before)] == before and len(after) == 6
    assert json.loads(done.stdout.strip().splitlines()[-1])["n"] == 6


@pytest.mark.slow
def test_data_parallel_replicas_give_the_single_process_samples(tmp_path, shared_data, tiny_model):
    """Two engine processes (hf on CPU here; vLLM replicas on GPUs) split the questions; the merged samples equal
    one process's, in the benchmark's order, and 'auto' is resolved over the whole benchmark in both. In float32:
    bf16 matmuls round differently for different batch sizes, so replicas' greedy tokens may differ there."""
    from s1lib.eval.parallel import gpu_groups

    overrides = {
        "model": {"name": tiny_model, "dtype": "float32"},
        "eval": {"limit": 4, "subset_seed": None},
        "forcing": {"max_thinking": "auto", "max_answer": 4, "max_generation": 320},
        "engine": {"batch_size": 4},
    }
    single = evaluate(load_params("params/smoke.yaml", overrides), "gsm8k", tmp_path / "one", progress=False)
    overrides["engine"]["data_parallel_size"] = 2
    parallel = evaluate(load_params("params/smoke.yaml", overrides), "gsm8k", tmp_path / "two", progress=False)
    one = read_samples(tmp_path / "one" / "samples.jsonl")
    two = read_samples(tmp_path / "two" / "samples.jsonl")
    assert [s["id"] for s in two] == [s["id"] for s in one]
    assert [s["text"] for s in two] == [s["text"] for s in one] and {s["budget"] for s in two} == {one[0]["budget"]}
    assert len({s["text"] for s in one}) == 4  # each question decodes to its own text, so a mix-up would show
    assert one[0]["budget"] > 0  # 'auto' left room to think
    assert parallel["n"] == single["n"] == 4 and parallel["data_parallel_size"] == 2
    assert len(read_samples(tmp_path / "two" / "shard-1" / "samples.jsonl")) == 2
    assert gpu_groups(2, 4, {"CUDA_VISIBLE_DEVICES": "0,1,2,3,4,5,6,7"}) == ["0,1,2,3", "4,5,6,7"]


def test_control_settings_not_cached_yet_are_generated_together(tmp_path, shared_data, smol_tokenizer, monkeypatch):
    from s1lib.eval import tts

    monkeypatch.setattr(tts, "runs_dir", lambda profile: tmp_path / profile)
    params = smoke()
    methods = {
        "BF": [(str(b), {"max_thinking": b}, (None, b)) for b in (4, 6)],
        "TCC": [("6", {"max_thinking": 6, "prompt_suffix": " Think briefly."}, (None, 6))],
    }
    engine = CountingEngine(smol_tokenizer)
    runs = tts.method_runs(params, "gsm8k", lambda: engine, methods)
    assert (engine.calls, engine.prompts) == (1, 15)  # three settings x five questions in one engine call
    assert [r["setting"] for r in runs["BF"]] == ["4", "6"] and all(
        r["n"] == 5 for rows in runs.values() for r in rows
    )
    assert [r["thinking_tokens"] for r in runs["BF"]] == [4, 6]  # each sample kept its own setting

    again = CountingEngine(smol_tokenizer)
    assert tts.method_runs(params, "gsm8k", lambda: again, methods) == runs and again.calls == 0  # all cached
    methods["BF"].append(("8", {"max_thinking": 8}, (None, 8)))
    tts.method_runs(params, "gsm8k", lambda: again, methods)
    assert (again.calls, again.prompts) == (1, 5)  # only the new setting


def test_control_study_generates_every_method_at_once(tmp_path, shared_data, smol_tokenizer, monkeypatch):
    """The unprompted run, every method and rejection sampling's first try share one engine call (each later try
    one more); class-conditional prompts are scored against the unprompted run's thinking."""
    from s1lib.eval import tts

    monkeypatch.setattr(tts, "runs_dir", lambda profile: tmp_path / profile)
    params = replace_forcing(smoke(), max_generation=400)
    engine = CountingEngine(smol_tokenizer)  # thinks until the cap: rejection sampling uses every try
    runs = tts.control_study(params, "gsm8k", lambda: engine, budgets=[4, 6, 8], rejection_tries=3)
    settings = 1 + 5 * 3 + 2 + 3  # unprompted; BF, TCC, TCC + BF, SCC, SCC + BF; CCC short/long; RS
    assert (engine.calls, engine.prompts) == (3, 5 * settings + 2 * 5 * 3)
    assert "none" not in runs and [len(runs[m]) for m in ("BF", "CCC", "RS")] == [3, 2, 3]
    usage = tts.method_runs(
        params, "gsm8k", lambda: engine, {"none": [("auto", {"max_thinking": "auto"}, (None, None))]}
    )["none"][0]["thinking_tokens"]
    assert usage > 8 and engine.calls == 3  # cached, and longer than any budget
    assert [(r["a_min"], r["a_max"]) for r in runs["CCC"]] == [(None, usage), (usage, None)]
    assert {r["forced_end_rate"] for r in runs["RS"]} == {1.0}  # out of tries, the capped traces stay


def test_parallel_and_sequential_scaling_share_one_engine_call(tmp_path, shared_data, smol_tokenizer, monkeypatch):
    from s1lib.eval import tts

    monkeypatch.setattr(tts, "runs_dir", lambda profile: tmp_path / profile)
    engine = CountingEngine(smol_tokenizer)
    lines = tts.parallel_vs_sequential(smoke(), "gsm8k", lambda: engine, ks=[1, 3], ignores=[0, 2])
    assert (engine.calls, engine.prompts) == (1, 5 * 3 + 5 * 2)  # 3 votes per question, and two "Wait" counts
    assert [r["k"] for rows in lines.values() for r in rows] == [1, 3, 0, 2]
    assert [r["total_tokens"] for r in lines["parallel: majority vote"]][1] == 3 * lines["parallel: majority vote"][0][
        "total_tokens"
    ]  # every vote's tokens counted


def test_runs_of_one_model_share_batches_and_resume(tmp_path, shared_data, smol_tokenizer):
    from s1lib.eval.runner import evaluate_many

    params = smoke()  # 5 questions, batch 2
    runs = [
        (replace_forcing(params, max_thinking=4), "gsm8k", tmp_path / "four"),
        (replace_forcing(params, max_thinking=6), "gsm8k", tmp_path / "six"),
    ]
    with pytest.raises(KeyboardInterrupt):
        evaluate_many(runs, engine=CountingEngine(smol_tokenizer, fail_after_calls=3), progress=False)
    assert len(read_samples(tmp_path / "four" / "samples.jsonl")) == 5  # the third batch held four's last question
    assert len(read_samples(tmp_path / "six" / "samples.jsonl")) == 1  # ... and six's first
    engine = CountingEngine(smol_tokenizer)
    four, six = evaluate_many(runs, engine=engine, progress=False)
    assert (engine.calls, engine.prompts) == (2, 4)  # only the missing questions, two to a batch
    assert four["n"] == six["n"] == 5
    assert {s["thinking_tokens"] for s in read_samples(tmp_path / "four" / "samples.jsonl")} == {4}
    assert {s["thinking_tokens"] for s in read_samples(tmp_path / "six" / "samples.jsonl")} == {6}
    alone = evaluate(runs[1][0], "gsm8k", tmp_path / "alone", engine=CountingEngine(smol_tokenizer), progress=False)
    assert [s["text"] for s in read_samples(tmp_path / "alone" / "samples.jsonl")] == [
        s["text"] for s in read_samples(tmp_path / "six" / "samples.jsonl")
    ]
    assert alone["accuracy"] == six["accuracy"]


class SeededEngine(CountingEngine):
    """A `CountingEngine` whose thinking lasts 1 + seed % 4 tokens: each sample's length shows the seed it drew."""

    def __init__(self, tok, fail_after_calls=None):
        super().__init__(tok, fail_after_calls)
        answer, stop = self.script, encode(tok, "<|im_start|>")[0]
        self.script = lambda s, n, seed: (
            answer(s, n, seed) if s.phase == "answer" or s.thinking_tokens < 1 + seed % 4 else stop
        )


def test_sampled_runs_share_batches_and_draw_as_alone(tmp_path, shared_data, smol_tokenizer):
    """A sampled run pooled with a greedy one, interrupted and resumed, draws what it draws alone: each question
    from the run's seed and its place in the benchmark, not its place in a batch."""
    from s1lib.eval.runner import evaluate_many

    params = smoke()  # 5 questions, batch 2
    runs = [
        (replace_forcing(params, max_thinking=6), "gsm8k", tmp_path / "greedy"),
        (replace_forcing(params, max_thinking=6, temperature=1.0), "gsm8k", tmp_path / "sampled"),
    ]
    with pytest.raises(KeyboardInterrupt):
        evaluate_many(runs, engine=SeededEngine(smol_tokenizer, fail_after_calls=3), progress=False)
    engine = SeededEngine(smol_tokenizer)
    evaluate_many(runs, engine=engine, progress=False)
    assert (engine.calls, engine.prompts) == (2, 4)  # the sampled run's last four questions, two to a batch
    evaluate(runs[1][0], "gsm8k", tmp_path / "alone", engine=SeededEngine(smol_tokenizer), progress=False)

    def thinking(name):
        return {s["id"]: s["thinking_tokens"] for s in read_samples(tmp_path / name / "samples.jsonl")}

    assert thinking("sampled") == thinking("alone") and len(set(thinking("alone").values())) >= 3


def replace_forcing(params, **fields):
    return params.model_copy(update={"forcing": replace(params.forcing, **fields)})


def test_a_benchmark_is_one_registry_entry(tmp_path, monkeypatch, smol_tokenizer):
    """A toy benchmark from a dataset the project has never seen: one `register` call, and params, plan,
    decontamination and evaluation all know it."""
    from s1lib import tasks
    from s1lib.data import sources
    from s1lib.data.pipeline import eval_questions
    from s1lib.data.sources import INT, STR, Dataset
    from s1lib.plan import make_plan
    from s1lib.question import Question

    monkeypatch.setattr(tasks, "TASKS", dict(tasks.TASKS))
    monkeypatch.setattr(sources, "REGISTRY", dict(sources.REGISTRY))
    data = tmp_path / "data"
    data.mkdir()
    (data / "toy_sums.jsonl").write_text(
        "".join(json.dumps({"q": f"What is 9 + {n}?", "a": 9 + n}) + "\n" for n in (9, 1, 9, 2))
    )
    monkeypatch.setenv("S1LIB_DATA_DIR", str(data))

    tasks.register(
        tasks.Task(
            "toy-sums",
            "integer",
            4,
            Dataset("toy-sums", None, "test", {"q": STR, "a": INT}, local=("toy_sums.jsonl",)),
            lambda rows: [Question(f"toy-{i}", r["q"], str(r["a"]), "integer") for i, r in enumerate(rows)],
        )
    )

    params = load_params(
        "params/smoke.yaml",
        {
            "eval": {"benchmarks": ["toy-sums"], "limit": None},
            "data": {"decontaminate_against": ["toy-sums"]},
            "forcing": {"max_thinking": 6, "max_answer": 8},
        },
    )
    assert "toy-sums 4" in make_plan(params).render()
    assert eval_questions(["toy-sums"])[0]["toy-sums"][0] == "What is 9 + 9?"
    metrics = evaluate(params, "toy-sums", tmp_path / "run", engine=CountingEngine(smol_tokenizer), progress=False)
    assert (metrics["n"], metrics["accuracy"]) == (4, 0.5)  # the engine answers 18: right for 9 + 9 twice
    with pytest.raises(Exception, match="unknown benchmark.*toy-sum\\b.*toy-sums"):
        load_params("params/smoke.yaml", {"eval": {"benchmarks": ["toy-sum"]}})
