"""Answer extraction and equivalence, per benchmark.

Extraction follows the official tasks (`lm_eval/tasks/{aime,openai_math,gpqa}/utils.py` of simplescaling/s1):

1. the answer section: text after the last `<|im_start|>answer\\n` (else after the last `<|im_start|>`, minus its
   first line; else the whole text);
2. the last `\\boxed{...}` (or `\\fbox{...}`, or `\\boxed x`) in it;
3. else the text after "Answer:".

Step 3 differs on purpose. The official regex `(?i)Answer\\s*:\\s*(.*)` with DOTALL matches once and returns
everything after the *first* "Answer:"; here the *last* "Answer:" is used and only its line is kept. Pass
`official=True` to get the harness's behaviour (also GPQA's default of "A" when no letter is found).

Equivalence: AIME by integer value (`025` = `25`); MATH500 and GSM8K by exact normalised string, then `math-verify`
(called with its signal-based timeouts off and a timeout of our own, so it works outside the main thread; a hang or
a parse error counts as wrong and is logged, never raised); GPQA by letter.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass

log = logging.getLogger(__name__)
logging.getLogger("math_verify").setLevel(logging.ERROR)  # it warns on every call that we time out ourselves

ANSWER_SPLIT = "<|im_start|>answer\n"
VERIFY_TIMEOUT_S = 5.0


@dataclass
class Grade:
    extracted: str | None
    correct: bool
    grader: str = "rules"
    error: str | None = None


def answer_section(text: str) -> str:
    if ANSWER_SPLIT in text:
        return text.split(ANSWER_SPLIT)[-1]
    if "<|im_start|>" in text:
        tail = text.split("<|im_start|>")[-1]
        return tail.split("\n", 1)[1] if "\n" in tail else tail
    return text


def last_boxed(text: str) -> str | None:
    """Content of the last \\boxed{...} / \\fbox{...} (balanced braces), or of `\\boxed x` up to `$`."""
    starts = [m for m in re.finditer(r"\\(?:boxed|fbox)\s*\{", text)]
    spaced = text.rfind("\\boxed ")
    if spaced >= 0 and (not starts or spaced > starts[-1].start()):
        return text[spaced + len("\\boxed "):].split("$")[0].strip()
    if not starts:
        return None
    i = start = starts[-1].end()
    depth = 1
    while i < len(text):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return text[start:i].strip()
        i += 1
    return None  # unbalanced: the model was cut off inside the box


def extract_answer(text: str, official: bool = False) -> str | None:
    section = answer_section(text)
    boxed = last_boxed(section)
    if boxed is not None:
        return boxed
    if official:
        found = re.findall(r"(?i)Answer\s*:\s*(.*)", section, re.DOTALL)
        return found[-1].strip() if found else None
    found = list(re.finditer(r"(?i)answer\s*:\**\s*", section))
    if not found:
        return None
    tail = section[found[-1].end():].strip()
    line = next((ln for ln in tail.splitlines() if ln.strip()), "")
    return line.strip().strip("*").strip() or None


def _normalise(s: str) -> str:
    s = s.strip().strip("$").strip()
    s = re.sub(r"\\text\{\s*([^{}]*?)\s*\}", r"\1", s)
    s = re.sub(r"\\(?:left|right|displaystyle|!|,|;)", "", s)
    s = s.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac").replace("^\\circ", "").replace("^{\\circ}", "")
    s = re.sub(r"\s+", "", s).rstrip(".")
    return s.lower()


def _as_int(s: str | None) -> int | None:
    if s is None:
        return None
    s = _normalise(s).replace(",", "").lstrip("+")
    return int(s) if re.fullmatch(r"-?\d+", s) else None


def _run_with_timeout(fn, timeout: float):
    """Run `fn` in a daemon thread; (result, error). A call still running after `timeout` is abandoned."""
    box: dict = {}

    def target():
        try:
            box["value"] = fn()
        except Exception as err:  # math-verify parse failures are answers we cannot read: wrong, logged
            box["error"] = f"{type(err).__name__}: {err}"

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        return None, f"timeout after {timeout:.0f} s"
    return box.get("value"), box.get("error")


def math_equal(gold: str, pred: str, timeout: float = VERIFY_TIMEOUT_S) -> tuple[bool, str | None]:
    """Is `pred` the same mathematical answer as `gold`? (both already extracted, LaTeX or plain)."""
    if _normalise(gold) == _normalise(pred):
        return True, None
    from math_verify import LatexExtractionConfig, parse, verify

    def check():
        config = [LatexExtractionConfig(boxed_match_priority=0)]
        g = parse(f"\\boxed{{{gold}}}", extraction_config=config, parsing_timeout=None, raise_on_error=True)
        p = parse(f"\\boxed{{{pred}}}", extraction_config=config, parsing_timeout=None, raise_on_error=True)
        if not g or not p:
            raise ValueError(f"math-verify found no expression in {'gold' if not g else 'prediction'}")
        return bool(verify(g, p, timeout_seconds=None, raise_on_error=True))

    ok, error = _run_with_timeout(check, timeout)
    if error:
        log.info("math-verify could not compare gold %r with %r: %s", gold, pred, error)
    return bool(ok), error


def gpqa_letter(extracted: str | None) -> str | None:
    if extracted is None:
        return None
    s = _normalise(extracted).upper()
    m = re.match(r"^\(?([A-D])\)?(?:[.):]|$)", s) or re.match(r"^(?:OPTION|CHOICE)?\(?([A-D])\)?\b", s)
    return m.group(1) if m else None


def gsm8k_gold(answer_field: str) -> str:
    """The final number of a GSM8K worked solution (`... #### 72`)."""
    return answer_field.split("####")[-1].strip().replace(",", "")


def grade(kind: str, text: str, gold: str, official: bool = False) -> Grade:
    """Grade a model output for a benchmark `kind` in {aime, math, gsm8k, gpqa, integer}."""
    extracted = extract_answer(text, official=official)
    if kind == "gpqa":
        letter = gpqa_letter(extracted)
        if letter is None and official:
            letter = "A"  # the harness's fallback once its LLM extraction fails
        return Grade(letter, letter == gold.strip().upper())
    if extracted is None:
        return Grade(None, False)
    if kind == "integer":  # s1lib.mini: exact integers, nothing symbolic to compare
        value = _as_int(extracted)
        return Grade(extracted, value is not None and value == _as_int(gold))
    if kind == "aime":
        value, target = _as_int(extracted), _as_int(gold)
        if value is not None and target is not None:
            return Grade(extracted, value == target)
    if kind in ("aime", "math", "gsm8k"):
        ok, error = math_equal(gold, extracted)
        return Grade(extracted, ok, error=error)
    raise ValueError(f"unknown benchmark kind '{kind}' (aime, math, gsm8k, gpqa, integer)")
