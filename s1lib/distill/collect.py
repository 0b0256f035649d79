"""`s1lib distill`: ask a model behind any OpenAI-compatible endpoint for a reasoning trace and an answer to each
question, grade the answer, and write rows in the s1 schema (`store.py` makes the run resumable).

Two roles:

* `teacher` (the paper's Gemini step): `thinking_trajectories` and `attempt` from the reply, and the grade of the
  attempt against the question's solution in `isgeminicorrect`, the column the selection reads (named after the
  paper's teacher; `distill.teacher` says which model it was).
* `difficulty` (the paper's Qwen2.5-7B/32B step): the input rows unchanged plus the reference model's grade in a
  column (`isqwen7bcorrect`, `isqwen32bcorrect`: the selection keeps a question only when both are false).

Requests run concurrently up to `concurrency`. Retries are the `openai` client's own: exponential backoff with jitter
on 408, 409, 429, 5xx, timeouts and dropped connections, honouring `Retry-After`. A 200 whose body is cut off, is not
JSON or holds no reply (proxies and load balancers send these) is transient too: it is retried here with the same
backoff, up to `max_retries` times. Only a 4xx answer is a permanent failure of the question. The key is read from the
environment and never written: not in rows, settings, errors or messages. Grades use this project's rules grader
(`s1lib.eval.grade`), not the official Claude judge; a question without a solution gets None.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from tqdm.auto import tqdm

from s1lib.distill.reasoning import split_reasoning
from s1lib.distill.store import DistillError, RowStore

ROLES = ("teacher", "difficulty")
SCHEMA = ("question", "solution", "cot_type", "source_type", "metadata")


@dataclass(frozen=True)
class Settings:
    """What makes a row: rows of other settings never share an output file."""

    model: str
    role: str = "teacher"
    column: str = "isgeminicorrect"
    temperature: float | None = None  # None: the server's default
    max_tokens: int | None = None
    extra_body: dict = field(default_factory=dict)  # e.g. {"vllm_xargs": {"max_thinking": 64}} for s1lib serve


@dataclass
class Prices:
    """US dollars per million prompt and completion tokens (None: cost not computed)."""

    prompt: float | None = None
    completion: float | None = None

    def cost(self, usage: dict) -> float | None:
        if self.prompt is None or self.completion is None:
            return None
        return (
            usage.get("prompt_tokens", 0) * self.prompt + usage.get("completion_tokens", 0) * self.completion
        ) / 1e6


class MalformedReply(ValueError):
    """A 200 answer that is not a chat completion (a cut-off or non-JSON body, no choices): retried."""


def backoff(attempt: int) -> float:
    """Seconds before retry `attempt` (0-based): the `openai` client's schedule, 0.5 s doubling up to 8 s, less up to
    a quarter of jitter."""
    return min(0.5 * 2**attempt, 8.0) * (1 - 0.25 * random.random())


def difficulty_column(model: str) -> str:
    """The released pool's column for a reference model (Qwen2.5-7B / -32B)."""
    name = model.lower()
    for size in ("32b", "7b"):
        if size in name:
            return f"isqwen{size}correct"
    raise DistillError(
        f"--role difficulty: which column does {model} fill? Pass --column (the selection reads "
        "isqwen7bcorrect and isqwen32bcorrect)"
    )


def is_local(base_url: str | None) -> bool:
    from s1lib.serve import is_loopback

    return is_loopback(urlparse(base_url or "").hostname)


def api_key(base_url: str | None, env: str) -> str:
    key = os.environ.get(env)
    if key:
        return key
    if is_local(base_url):
        return "unused"  # local servers take any key
    raise DistillError(f"no API key: set {env} in the environment (or --api-key-env NAME) for {base_url or 'OpenAI'}")


def scrub(text: str, key: str) -> str:
    return text.replace(key, "***") if key and key != "unused" else text


def gold_answer(row: dict) -> str | None:
    """The reference answer in a pool row's solution: GSM8K's `#### n`, a box, or a short solution itself."""
    from s1lib.eval.answers import extract_answer
    from s1lib.eval.grade import gsm8k_gold

    solution = row.get("solution")
    if not isinstance(solution, str) or not solution.strip():
        return None
    if "####" in solution:
        return gsm8k_gold(solution)
    boxed = extract_answer(solution)
    return boxed if "\\boxed" in solution and boxed else (solution.strip() if len(solution) <= 100 else None)


def grade_attempt(row: dict, answer: str) -> tuple[bool | None, str | None]:
    from s1lib.eval.grade import grade

    gold = gold_answer(row)
    if gold is None:
        return None, "no reference answer"
    g = grade("math", answer, gold)
    return g.correct, g.reason


def load_questions(spec: str, limit: int | None = None) -> list[dict]:
    """Rows with at least a `question`: a pool name (`s1lib.data.pool.POOLS`) or a JSONL file."""
    from s1lib.data.pool import POOLS, load_pool
    from s1lib.data.sources import read_jsonl

    path = Path(spec)
    if path.suffix == ".jsonl" or path.exists():
        if not path.is_file():
            raise DistillError(f"--questions {spec}: no such file (or a pool name: {', '.join(POOLS)})")
        rows, lines = read_jsonl(path, path.name, with_lines=True)
    else:
        rows = load_pool(spec)
        lines = list(range(1, len(rows) + 1))
    for row, line in zip(rows, lines):
        if not isinstance(row, dict) or not isinstance(row.get("question"), str) or not row["question"].strip():
            raise DistillError(f"{spec} row {line} field 'question': missing or empty")
    return rows[:limit] if limit else rows


class Distiller:
    def __init__(
        self,
        settings: Settings,
        base_url: str | None,
        key: str,
        concurrency: int = 16,
        timeout: float = 600,
        max_retries: int = 6,
        prices: Prices = Prices(),
    ):
        import openai

        if settings.role not in ROLES:
            raise DistillError(f"--role {settings.role!r}: choose {' or '.join(ROLES)}")
        if concurrency < 1:
            raise DistillError(f"--concurrency must be at least 1 (got {concurrency})")
        self.settings, self.base_url, self.key, self.prices = settings, base_url, key, prices
        self.concurrency, self.max_retries = concurrency, max_retries
        self.client = openai.AsyncOpenAI(base_url=base_url, api_key=key, timeout=timeout, max_retries=max_retries)
        self.grader = ThreadPoolExecutor(1)  # grading leaves the event loop free; math-verify runs in its own pool
        self.tokens = {"prompt_tokens": 0, "completion_tokens": 0}

    async def ask(self, question: str) -> tuple[dict, dict, str | None, float]:
        """(message, usage, finish reason, seconds) of one reply; a malformed 200 is asked again, up to
        `max_retries` times, and raised after that."""
        for attempt in range(self.max_retries + 1):
            try:
                return await self.ask_once(question)
            except MalformedReply:
                if attempt == self.max_retries:
                    raise
                await asyncio.sleep(backoff(attempt))
        raise AssertionError("unreachable")

    async def ask_once(self, question: str) -> tuple[dict, dict, str | None, float]:
        from openai.types.chat import ChatCompletion

        s = self.settings
        kwargs = {k: v for k, v in {"temperature": s.temperature, "max_tokens": s.max_tokens}.items() if v is not None}
        start = time.monotonic()
        try:
            reply = await self.client.chat.completions.create(
                model=s.model,
                messages=[{"role": "user", "content": question}],
                extra_body=s.extra_body or None,
                **kwargs,
            )
        except json.JSONDecodeError as err:
            raise MalformedReply(f"the reply's JSON body is cut off or invalid ({err})") from None
        seconds = time.monotonic() - start
        if not isinstance(reply, ChatCompletion):
            raise MalformedReply(f"the reply is not a chat completion: {str(reply)[:120]!r}")
        if not reply.choices or reply.choices[0].message is None:
            raise MalformedReply("the reply has no choices")
        usage = reply.usage.model_dump(exclude_none=True) if reply.usage else {}
        return reply.choices[0].message.model_dump(), usage, reply.choices[0].finish_reason, seconds

    def row(
        self,
        source: dict,
        key: str,
        message: dict,
        usage: dict,
        finish: str | None,
        seconds: float,
        verdict: bool | None,
        reason: str | None,
    ) -> dict:
        thinking, answer, where = split_reasoning(message)
        s = self.settings
        record = {
            "model": s.model,
            "role": s.role,
            "reasoning_from": where,
            "finish_reason": finish,
            "usage": usage,
            "seconds": round(seconds, 3),
            "cost": self.prices.cost(usage),
            "grade_reason": reason,
        }
        if s.role == "difficulty":
            runs = dict(source.get("difficulty_runs") or {})
            runs[s.column] = {**record, "answer": answer}
            return {**source, "question_hash": key, s.column: verdict, "difficulty_runs": runs}
        row = {k: source.get(k) for k in SCHEMA}
        row.update(
            cot_type=row["cot_type"] or "math",
            source_type=row["source_type"] or "distill",
            metadata=row["metadata"] if row["metadata"] is not None else "{}",
        )
        return {
            **row,
            "question_hash": key,
            "thinking_trajectories": [thinking],
            "attempt": answer,
            s.column: verdict,
            "distill": record,
        }

    async def one(self, store: RowStore, source: dict) -> bool:
        import openai

        key = store.key(source["question"])
        try:
            message, usage, finish, seconds = await self.ask(source["question"])
            answer = split_reasoning(message)[1]
            verdict, reason = await asyncio.get_running_loop().run_in_executor(
                self.grader, grade_attempt, source, answer
            )
        except (openai.APIError, ValueError) as err:
            store.fail(key, source["question"], scrub(f"{type(err).__name__}: {err}", self.key))
            return False
        store.add(self.row(source, key, message, usage, finish, seconds, verdict, reason))
        for name in self.tokens:
            self.tokens[name] += usage.get(name, 0)
        return True

    async def run(self, rows: list[dict], store: RowStore, progress: bool = True) -> dict:
        todo, seen = [], set(store.done)
        for r in rows:
            key = store.key(r["question"])
            if key not in seen:
                seen.add(key)
                todo.append(r)
        stats = {"ok": 0, "failed": 0}
        bar = tqdm(total=len(todo), unit="row", desc=f"distill {self.settings.model}", disable=not progress)
        pending = iter(todo)

        async def worker():
            for source in pending:
                ok = await self.one(store, source)
                stats["ok" if ok else "failed"] += 1
                bar.update(1)
                if stats["failed"]:
                    bar.set_postfix(failed=stats["failed"], refresh=False)

        start = time.monotonic()
        try:
            await asyncio.gather(*(worker() for _ in range(min(self.concurrency, max(1, len(todo))))))
        finally:
            bar.close()
            await self.client.close()
            self.grader.shutdown()
        seconds = time.monotonic() - start
        stats.update(self.tokens, cost=self.prices.cost(self.tokens))
        return {
            **stats,
            "already_done": len(rows) - len(todo),
            "seconds": round(seconds, 2),
            "rows_per_s": round(stats["ok"] / seconds, 2) if seconds else None,
        }


def run_coroutine(coroutine):
    """`asyncio.run`, also where an event loop is already running (Jupyter): then in a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


def distill(
    questions: str,
    settings: Settings,
    out: str | Path,
    base_url: str | None = None,
    api_key_env: str = "OPENAI_API_KEY",
    concurrency: int = 16,
    limit: int | None = None,
    timeout: float = 600,
    max_retries: int = 6,
    prices: Prices = Prices(),
    progress: bool = True,
) -> dict:
    """Distill `questions` (a pool name or JSONL file) into `out`; returns a summary (rows, failures, tokens, cost,
    seconds). Run it again to resume or to retry failed questions."""
    if settings.role == "difficulty" and settings.column == "isgeminicorrect":
        settings = Settings(**{**asdict(settings), "column": difficulty_column(settings.model)})
    key = api_key(base_url, api_key_env)
    rows = load_questions(questions, limit)
    store = RowStore(Path(out), asdict(settings))
    distiller = Distiller(settings, base_url, key, concurrency, timeout, max_retries, prices)
    try:
        summary = run_coroutine(distiller.run(rows, store, progress))
    finally:
        store.close()
    return {"out": str(out), "errors": str(store.errors_path) if store.errors_path.exists() else None, **summary}
