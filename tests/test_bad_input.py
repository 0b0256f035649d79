"""Bad input gets one clear message and loses nothing: each case a user ran into, as a test."""

import json

import pytest

from s1lib.cli import main
from s1lib.data.sources import DataError
from s1lib.eval.runner import EvalError, evaluate
from s1lib.format import encode
from s1lib.infer import ContextError, Forcing, generate
from s1lib.params import ParamsError, load_params

from fakes import ScriptedEngine


def write_profile(tmp_path, text: str, name: str = "p.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def one_message(capsys, argv) -> str:
    """Run the CLI, expect exit 2 and one message (a params error lists each bad key on its own line) without a
    traceback; return the message."""
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"s1lib {argv[0]}: ") and "Traceback" not in err, err
    assert len(err.splitlines()) == 1 or all(line.startswith("  - ") for line in err.splitlines()[1:]), err
    return err


# --- the params file and the flags ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sweep, message",
    [
        ("budgets: [-1, 32]", "budgets must be >= 1"),
        ("budgets: [0, 32]", "budgets must be >= 1"),
        ("budgets: [64, 32]", "increasing, without repeats"),
        ("budgets: [32, 32, auto]", "increasing, without repeats"),
        ("budgets: [auto, 32]", "'auto' \\(if any\\) last"),
        ("ignores: [-1]", "ignore counts must be >= 0"),
    ],
)
def test_sweep_settings_that_make_no_sense_are_refused(tmp_path, sweep, message):
    with pytest.raises(ParamsError, match=f"sweep.*{message}"):
        load_params(write_profile(tmp_path, f"profile: x\nsweep:\n  {sweep}\n"))


@pytest.mark.parametrize(
    "body, key",
    [
        ("engine:\n  max_model_len: 4096\nforcing:\n  max_generation: 8192\n", "forcing.max_generation"),
        ("model:\n  device: gpu9\n", "model.device"),
        ("data:\n  pool: no-such-pool\n", "data.pool"),
        ("train:\n  global_batch_size: 2\n  per_device_train_batch_size: 4\n", "train"),
        ("profile: ../../../../elsewhere/x\n", "profile"),
        ("profile: a/b\n", "profile"),
    ],
)
def test_impossible_settings_are_refused_before_any_work(tmp_path, body, key):
    text = body if body.startswith("profile") else "profile: x\n" + body
    with pytest.raises(ParamsError, match=key.replace(".", r"\.")):
        load_params(write_profile(tmp_path, text))


def test_an_empty_params_file_says_so(tmp_path):
    with pytest.raises(ParamsError, match="the file is empty"):
        load_params(write_profile(tmp_path, "\n# nothing\n"))


def test_a_bad_flag_is_blamed_on_the_flag_not_the_file(capsys):
    err = one_message(capsys, ["eval", "--benchmark", "gsm8k", "--out", "unused", "--batch-size", "0"])
    assert "command-line flags (engine.batch_size" in err and "engine.batch_size" in err


def test_reproduce_refuses_a_notebook_that_does_not_exist(capsys):
    assert "no notebook matches 99" in one_message(capsys, ["reproduce", "--only", "99"])


# --- data, models and folders named in one line -----------------------------------------------------------------


def test_missing_data_dir_is_one_line(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("S1LIB_DATA_DIR", str(tmp_path / "nope"))
    assert "is not a directory" in one_message(
        capsys, ["select", "--pool", "smoke-pool", "--out", str(tmp_path / "s.jsonl")]
    )


def test_missing_model_is_one_line(capsys, tmp_path):
    err = one_message(capsys, ["generate", "--model", str(tmp_path / "nope"), "hi"])
    assert "nope" in err


def test_unknown_pool_is_one_line(capsys, tmp_path):
    assert "unknown pool 'nope'" in one_message(
        capsys, ["select", "--pool", "nope", "--out", str(tmp_path / "s.jsonl")]
    )


def test_debug_shows_the_traceback(tmp_path):
    with pytest.raises(ParamsError):
        main(["--debug", "reproduce", "--params", write_profile(tmp_path, "")])


def test_training_row_without_a_trace_is_named_by_file_line_and_field(capsys, tmp_path):
    good = {"question": "q", "thinking_trajectories": ["t"], "attempt": "a"}
    subset = tmp_path / "rows.jsonl"
    subset.write_text(json.dumps(good) + "\n" + json.dumps({"question": "q", "attempt": "a"}) + "\n")
    err = one_message(capsys, ["train", "--subset", str(subset), "--out", str(tmp_path / "run")])
    assert "rows.jsonl: line 2 has no field 'thinking_trajectories'" in err


def test_block_size_shorter_than_every_prompt_is_refused_and_partial_drops_are_counted(smol_tokenizer):
    from s1lib.train.dataset import build_dataset

    rows = [
        {"question": "What is two plus two? " * k, "thinking_trajectories": ["four"], "attempt": "4"} for k in (1, 30)
    ]
    built = build_dataset(smol_tokenizer, rows, block_size=60)
    assert (len(built.dataset), built.dropped) == (1, 1)  # the long prompt fills the block: dropped and counted
    with pytest.raises(DataError, match="all 2 training examples are dropped.*block size \\(16"):
        build_dataset(smol_tokenizer, rows, block_size=16)


# --- evaluation folders ---------------------------------------------------------------------------------------


def smoke_eval():
    return load_params(
        "params/smoke.yaml",
        {"eval": {"limit": 2, "subset_seed": None}, "forcing": {"max_thinking": 4, "max_answer": 4}},
    )


class BoxEngine(ScriptedEngine):
    name = "hf"

    def __init__(self, tok):
        box, end, w = encode(tok, "\\boxed{1}"), encode(tok, "<|im_end|>")[0], encode(tok, "ab")[0]
        super().__init__(
            tok,
            lambda s, n, seed: (
                (box[s.answer_tokens] if s.answer_tokens < len(box) else end) if s.phase == "answer" else w
            ),
            w,
        )


def test_eval_folder_with_samples_but_no_config_is_refused(tmp_path, shared_data, smol_tokenizer):
    evaluate(smoke_eval(), "gsm8k", tmp_path, engine=BoxEngine(smol_tokenizer), progress=False)
    (tmp_path / "config.json").unlink()
    with pytest.raises(EvalError, match="holds samples but no config.json"):
        evaluate(smoke_eval(), "gsm8k", tmp_path, engine=BoxEngine(smol_tokenizer), progress=False)
    (tmp_path / "config.json").write_text("")  # a kill during the (old, non-atomic) write
    with pytest.raises(EvalError, match="holds samples but an unreadable config.json"):
        evaluate(smoke_eval(), "gsm8k", tmp_path, engine=BoxEngine(smol_tokenizer), progress=False)


def test_empty_config_without_samples_is_rewritten(tmp_path, shared_data, smol_tokenizer):
    (tmp_path / "config.json").write_text("")
    metrics = evaluate(smoke_eval(), "gsm8k", tmp_path, engine=BoxEngine(smol_tokenizer), progress=False)
    assert json.loads((tmp_path / "config.json").read_text())["hash"] == metrics["config_hash"]
    assert not list(tmp_path.glob(".*.tmp"))  # atomic writes leave no temporary file


# --- generation ------------------------------------------------------------------------------------------------


def test_a_prompt_longer_than_the_context_is_refused(smol_tokenizer):
    engine = BoxEngine(smol_tokenizer)
    engine.context_length = 512
    with pytest.raises(ContextError, match="question 2: its prompt is [0-9,]+ tokens.*context of 512"):
        generate(engine, ["short", "long " * 600], Forcing(max_thinking=8, max_answer=4), progress=False)
    with pytest.raises(ContextError, match="thinking budget of 100,000 tokens"):
        generate(engine, ["short"], Forcing(max_thinking=100_000, max_answer=4), progress=False)
    assert generate(engine, ["short"], Forcing(max_thinking=8, max_answer=4), progress=False)[0].thinking_tokens == 8


def test_an_ignore_string_that_does_not_fit_is_counted(smol_tokenizer):
    w, start = encode(smol_tokenizer, "ab")[0], encode(smol_tokenizer, "<|im_start|>")[0]
    end = encode(smol_tokenizer, "<|im_end|>")[0]

    # thinks one token, then ends, every time: the first "Wait" fits, the second would leave no room for a token
    def script(s, n, seed):
        return end if s.phase == "answer" else (start if s.segment_tokens >= 1 else w)

    budget = 2 + 2 * len(encode(smol_tokenizer, "Wait"))
    engine = ScriptedEngine(smol_tokenizer, script, w)
    (g,) = generate(
        engine, ["q"], Forcing(max_thinking=budget, ignore=3, ignore_str="Wait", max_answer=2), progress=False
    )
    assert (g.n_ignored, g.n_ignore_skipped) == (1, 2)


def test_rows_all_shorter_than_the_sharing_window_get_an_anchor():
    from s1lib.infer.hf import share_prefixes

    anchors, shared = share_prefixes([[1, 2, 3], [4, 5]])
    assert anchors == [0] and shared == [(0, 2), (0, 0)]


@pytest.mark.slow
def test_generate_an_empty_question(capsys):
    assert main(["generate", "--max-thinking", "16", "--max-answer", "4", "--json", ""]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["thinking_tokens"] <= 16


# --- selection -------------------------------------------------------------------------------------------------


def test_selection_never_returns_more_rows_than_asked(capsys, shared_data, tmp_path):
    out = tmp_path / "s1k.jsonl"
    assert main(["select", "--pool", "smoke-pool", "--method", "s1k", "--n", "40", "--out", str(out)]) == 0
    assert len(out.read_text().splitlines()) == 40
    assert "exceed n=40: kept the 40 longest" in capsys.readouterr().err


# --- training folders ------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_training_refuses_to_resume_a_checkpoint_made_with_other_settings(tmp_path, tiny_model):
    from transformers import TrainerCallback

    from test_train import tiny_params, tiny_subset
    from s1lib.train import TrainError, train

    class Crash(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step == 2:  # checkpoint-1 is on disk
                raise RuntimeError("killed")

    subset, out = tiny_subset(tmp_path), tmp_path / "run"
    with pytest.raises(RuntimeError, match="killed"):
        train(tiny_params(tiny_model, max_steps=4, save_steps=1), subset, out=out, callbacks=[Crash()], progress=False)
    assert list(out.glob("checkpoint-*"))
    with pytest.raises(TrainError, match="other settings .*learning_rate: 0.0001 -> 5e-05"):
        train(tiny_params(tiny_model, max_steps=6, save_steps=1, learning_rate=5e-5), subset, out=out, progress=False)


# --- more paths a user can get wrong ---------------------------------------------------------------------------


def test_an_eval_out_that_is_a_file_is_refused(capsys, tmp_path):
    (tmp_path / "out").write_text("x")
    err = one_message(capsys, ["eval", "--benchmark", "gsm8k", "--out", str(tmp_path / "out"), "--limit", "1"])
    assert "is a file" in err


def test_select_needs_at_least_one_row(capsys, tmp_path):
    assert "--n must be at least 1" in one_message(
        capsys, ["select", "--pool", "smoke-pool", "--n", "0", "--out", str(tmp_path / "s.jsonl")]
    )


def test_a_file_the_user_named_that_cannot_be_written_is_one_message(capsys, tmp_path, shared_data):
    (tmp_path / "blocker").write_text("a file where a folder should be")
    err = one_message(
        capsys, ["select", "--pool", "smoke-pool", "--n", "5", "--out", str(tmp_path / "blocker" / "s.jsonl")]
    )
    assert "blocker" in err


def test_a_byte_order_mark_is_not_data(tmp_path, monkeypatch):
    from s1lib.data.sources import load

    (tmp_path / "gsm8k_test.jsonl").write_bytes(
        b"\xef\xbb\xbf" + json.dumps({"question": "q", "answer": "a"}).encode() + b"\n"
    )
    monkeypatch.setenv("S1LIB_DATA_DIR", str(tmp_path))
    assert load("gsm8k") == [{"question": "q", "answer": "a"}]


# --- the server ------------------------------------------------------------------------------------------------


def test_serving_beyond_this_machine_needs_a_key(tmp_path):
    """The real command, with no key anywhere: refused in a second, before vLLM starts."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("S1LIB_API_KEY", "VLLM_API_KEY")}
    done = subprocess.run(
        [sys.executable, "-m", "s1lib", "serve", "--host", "0.0.0.0", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "starting vLLM" not in done.stderr
    assert "--host 0.0.0.0 serves anyone" in done.stderr and "S1LIB_API_KEY" in done.stderr
    assert "--no-api-key" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_the_key_check_and_the_options_passed_to_vllm():
    from s1lib.serve import ServeError, check_network, server_command

    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        check_network(host, None, False)
    check_network("0.0.0.0", "a-key", False)
    check_network("192.168.1.5", None, no_api_key=True)  # said explicitly
    with pytest.raises(ServeError, match="192.168.1.5"):
        check_network("192.168.1.5", None, False)
    params = load_params("params/smoke.yaml")
    argv = server_command(params, extra=["--max-num-seqs", "64", "--max-model-len=1024"])
    assert argv[-3:] == ["--max-num-seqs", "64", "--max-model-len=1024"]  # after the profile's, so they win
    assert "--api-key" not in argv  # the key travels in the environment, not the process list


@pytest.mark.parametrize(
    "extra, named",
    [
        (["--port", "9"], "use s1lib serve --port"),
        (["--api-key=k"], "S1LIB_API_KEY"),
        (["--logits-processors", "x"], "budget forcing depends on it"),
    ],
)
def test_vllm_options_that_s1lib_serve_sets_are_refused(capsys, extra, named):
    assert named in one_message(capsys, ["serve", "--", *extra])


def test_only_serve_takes_options_after_a_double_dash(capsys):
    with pytest.raises(SystemExit) as err:
        main(["plan", "--", "--max-num-seqs", "64"])
    assert err.value.code == 2 and "only s1lib serve takes options after --" in capsys.readouterr().err


# --- any setting from the command line -------------------------------------------------------------------------


def test_set_changes_any_key_validated_like_the_file():
    from s1lib.cli import _params, build_parser

    args = build_parser().parse_args(
        [
            "train",
            "--subset",
            "x",
            "--set",
            "train.learning_rate=5e-6",
            "--set",
            "mini.train.max_steps=7",
            "--set",
            "sweep.budgets=[8, 16, auto]",
            "--set",
            "engine.max_model_len=null",
        ]
    )
    p = _params(args, {})
    assert (p.train.learning_rate, p.mini.train.max_steps, p.sweep.budgets) == (5e-6, 7, [8, 16, "auto"])
    assert p.engine.max_model_len is None and p.mini.train.learning_rate == 2e-4  # the rest of the section stays


@pytest.mark.parametrize(
    "assignment, named",
    [
        ("train.lerning_rate=1e-5", "train.lerning_rate: unknown key"),
        ("train.learning_rate=fast", "train.learning_rate"),
        ("forcing.ignore=true", "forcing.ignore.*boolean"),
        ("train", "expected section.key=value"),
        ("train..max_steps=3", "expected section.key=value"),
    ],
)
def test_a_bad_set_is_one_message_naming_the_key(capsys, assignment, named):
    import re

    assert re.search(named, one_message(capsys, ["plan", "--set", assignment]))


def test_every_forcing_setting_has_a_flag_checked_by_its_field(capsys):
    from dataclasses import fields

    from s1lib.cli import _overrides, build_parser
    from s1lib.infer.stream import FORMAT

    parser = build_parser()
    for name in {f.name for f in fields(Forcing)} - set(FORMAT):
        args = parser.parse_args(["generate", "q", f"--{name.replace('_', '-')}", "1"])
        assert name in _overrides(args)["forcing"], name
    assert (
        _overrides(parser.parse_args(["generate", "q", "--max-thinking", "none"]))["forcing"]["max_thinking"] is None
    )
    assert "forcing.ignore" in one_message(capsys, ["generate", "q", "--ignore", "two"])


def test_word_lists_are_comma_separated_and_a_word_the_tokenizer_splits_is_named(capsys):
    from s1lib.cli import _overrides, build_parser

    args = build_parser().parse_args(["generate", "q", "--suppress", "Wait, Hmm,Alternatively"])
    assert _overrides(args)["forcing"]["suppress"] == ("Wait", "Hmm", "Alternatively")
    assert main(["generate", "--max-thinking", "4", "--suppress", "Wait,double-check", "q?"]) == 2
    err = capsys.readouterr().err  # after the model's loading bar: the tokenizer is the model's
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("s1lib generate: suppress: 'double-check' is not a single token")
