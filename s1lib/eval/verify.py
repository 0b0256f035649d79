"""Symbolic equivalence with a hard time limit: math-verify runs in worker processes that are killed when an
answer takes too long.

sympy does some of its work in C while holding the GIL (`10^{10^{10}}` is computed, not just parsed), so a thread
timeout never fires and an abandoned thread slows every later grade. Only a process can be stopped. The pool
(`pebble`, two workers by default, reused across answers) kills a worker that overruns and starts a fresh one.

Cheap guards run first, in this process, on the prediction only (the gold is trusted): expressions longer than
`MAX_CHARS`, numeric powers or factorials too large to compute. A guarded answer is wrong with its reason; the
time limit is the backstop for everything the guards do not foresee.

**In-process fallback.** A daemonic process (a `multiprocessing.Pool` worker, a DataLoader worker) may not start
children, and `S1LIB_GRADE_WORKERS=0` asks for none. There math-verify runs in the calling process, after the same
guards, with its own signal timeout (the same limit, rounded up to whole seconds) where the caller is a main thread
and none elsewhere; sympy's C-level work can overrun it, which the guards make rare. A pool that cannot start for any
other reason raises `GradingError` naming the cause.
"""

from __future__ import annotations

import ast
import atexit
import logging
import math
import multiprocessing
import os
import re
import threading
from functools import partial
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool

from s1lib.errors import UserError

log = logging.getLogger(__name__)

TIMEOUT_S = 5.0
MAX_CHARS = 1000  # a longer prediction is not an answer
MAX_EXPONENT = 1e6  # 10^(10^6) is a million-digit integer: still quick; 10^(10^9) is not
MAX_FACTORIAL = 1e4  # 10000! has ~36k digits: quick; (10^9)! is not
_WORKERS = int(os.environ.get("S1LIB_GRADE_WORKERS", "2"))


def _verify(gold: str, pred: str, seconds: int | None = None) -> bool:
    """math-verify; its own (signal-based) timeouts off in a worker, `seconds` in process. Errors propagate."""
    from math_verify import LatexExtractionConfig, parse, verify

    config = [LatexExtractionConfig(boxed_match_priority=0)]
    g = parse(f"\\boxed{{{gold}}}", extraction_config=config, parsing_timeout=seconds, raise_on_error=True)
    p = parse(f"\\boxed{{{pred}}}", extraction_config=config, parsing_timeout=seconds, raise_on_error=True)
    if not g or not p:
        raise ValueError(f"math-verify found no expression in {'gold' if not g else 'prediction'}")
    return bool(verify(g, p, timeout_seconds=seconds, raise_on_error=True))


def _warm() -> None:
    logging.getLogger("math_verify").setLevel(logging.ERROR)
    import math_verify  # noqa: F401  (import sympy and antlr once per worker, not per answer)


# --- guards ---------------------------------------------------------------------------------------------------

_NUMERIC = re.compile(r"^[\d\s.+\-*/^(){}]+$")


def _numeric_value(expr: str) -> float | None:
    """The value of a purely numeric expression (`10^{10}`, `(10^9)`, `9^9`), in floats that saturate to inf
    instead of computing big integers; None when it is not purely numeric."""
    expr = expr.strip()
    if not expr or not _NUMERIC.match(expr):
        return None
    source = expr.replace("{", "(").replace("}", ")").replace("^", "**")
    try:
        tree = ast.parse(source, mode="eval").body
    except SyntaxError:
        return None

    def value(node) -> float:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return float(node.value)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            v = value(node.operand)
            return -v if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.BinOp):
            a, b = value(node.left), value(node.right)
            try:
                if isinstance(node.op, ast.Pow):
                    return math.inf if b > 1e4 and abs(a) > 1 else float(abs(a) ** min(b, 1e4))
                if isinstance(node.op, ast.Add):
                    return a + b
                if isinstance(node.op, ast.Sub):
                    return a - b
                if isinstance(node.op, ast.Mult):
                    return a * b
                return a / b if b else math.inf
            except OverflowError:
                return math.inf
        raise ValueError("not numeric")

    try:
        return value(tree)
    except (ValueError, RecursionError):
        return None


def _balanced(text: str, start: int, opening: str, closing: str) -> str:
    """The text inside the bracket that opens at `start` (to the end if it never closes)."""
    depth = 0
    for i in range(start, len(text)):
        depth += (text[i] == opening) - (text[i] == closing)
        if depth == 0:
            return text[start + 1 : i]
    return text[start + 1 :]


def _exponents(expr: str):
    for m in re.finditer(r"(?:\^|\*\*)\s*", expr):
        i = m.end()
        if i < len(expr) and expr[i] in "{(":
            yield _balanced(expr, i, expr[i], "}" if expr[i] == "{" else ")")
        else:
            yield re.match(r"[\d.]*(?:(?:\^|\*\*)[\d.{}()^*]+)?", expr[i:]).group(0)


def _factorial_args(expr: str):
    for m in re.finditer(r"!", expr):
        j = m.start()
        if j and expr[j - 1] in ")}":
            closing = expr[j - 1]
            opening, depth = "(" if closing == ")" else "{", 0
            for k in range(j - 1, -1, -1):
                depth += (expr[k] == closing) - (expr[k] == opening)
                if depth == 0:
                    yield expr[k + 1 : j - 1]
                    break
        else:
            yield re.search(r"[\d.]*$", expr[:j]).group(0)


def guard(pred: str) -> str | None:
    """Why `pred` is not worth handing to sympy (None: it is)."""
    if len(pred) > MAX_CHARS:
        return f"too long ({len(pred)} characters)"
    for exponent in _exponents(pred):
        v = _numeric_value(exponent)
        if v is not None and v > MAX_EXPONENT:
            return f"power too large to compute (exponent {exponent!r})"
    for argument in _factorial_args(pred):
        if "!" in argument:
            return f"nested factorial ({argument!r}!)"
        v = _numeric_value(argument)
        if v is not None and v > MAX_FACTORIAL:
            return f"factorial too large to compute ({argument!r}!)"
    return None


# --- the pool -------------------------------------------------------------------------------------------------

_pool = None


def _get_pool():
    """The shared worker pool, started on first use. Workers are forked, as PyTorch's DataLoader workers are on
    Linux: spawn and forkserver re-import the caller's `__main__`, so every user script would need a main guard.
    A worker only runs sympy; it never touches the parent's torch or vLLM state."""
    global _pool
    if _pool is None or not _pool.active:
        from pebble import ProcessPool

        context = multiprocessing.get_context("fork")
        _pool = ProcessPool(max_workers=_WORKERS, initializer=_warm, context=context)
    return _pool


def shutdown() -> None:
    """Stop the workers (also run at exit). The next grade starts a fresh pool."""
    global _pool
    if _pool is not None:
        _pool.stop()
        _pool.join(timeout=10)
        _pool = None


atexit.register(shutdown)


class GradingError(UserError, RuntimeError):
    """The grading workers could not run at all (not the fault of any one answer)."""


def _reason(err: BaseException) -> str:
    from math_verify.errors import TimeoutException
    from pebble import ProcessExpired

    if isinstance(err, (FutureTimeout, TimeoutException)):
        return "timeout"
    if isinstance(err, ProcessExpired):  # the answer crashed its worker (e.g. out of memory); a new one took over
        return f"worker died: {err}"
    return f"unparsable: {type(err).__name__}: {err}"[:300]


def in_process() -> bool:
    """Grade in this process (module docstring): no workers asked for, or a daemon that may not start any."""
    return _WORKERS == 0 or multiprocessing.current_process().daemon


def _schedule(gold: str, pred: str, timeout: float):
    try:
        return _get_pool().schedule(_verify, args=(gold, pred), timeout=timeout)
    except Exception as err:
        shutdown()
        raise GradingError(
            f"the grading worker pool could not start ({type(err).__name__}: {err}); set "
            "S1LIB_GRADE_WORKERS=0 to grade in this process without a hard time limit"
        ) from err


def _here(gold: str, pred: str, timeout: float) -> bool:
    _warm()
    on_main = threading.current_thread() is threading.main_thread()
    return _verify(gold, pred, math.ceil(timeout) if on_main else None)


def equal_many(pairs: list[tuple[str, str]], timeout: float = TIMEOUT_S) -> list[tuple[bool, str | None]]:
    """(equal?, reason) for each (gold, pred); reason is None when math-verify gave a verdict, else why not
    (`timeout`, a guard, or a parse error): those count as wrong and are logged, never raised."""
    results: list[tuple[bool, str | None] | None] = [None] * len(pairs)
    pending = {}
    for i, (gold, pred) in enumerate(pairs):
        blocked = guard(pred)
        if blocked:
            results[i] = (False, blocked)
        else:
            pending[i] = (gold, pred)
    if in_process():
        verdicts = {i: partial(_here, gold, pred, timeout) for i, (gold, pred) in pending.items()}
    else:
        verdicts = {i: _schedule(gold, pred, timeout).result for i, (gold, pred) in pending.items()}
    for i, verdict in verdicts.items():
        try:
            results[i] = (verdict(), None)
        except BrokenProcessPool as err:
            shutdown()
            raise GradingError(f"the grading worker pool could not start or broke down: {err}") from err
        except Exception as err:  # a timeout (worker killed and replaced), a parse failure, a dead worker
            results[i] = (False, _reason(err))
            log.info("math-verify could not compare gold %r with %r: %s", pairs[i][0], pairs[i][1], results[i][1])
    return results  # type: ignore[return-value]
