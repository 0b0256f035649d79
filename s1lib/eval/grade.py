"""Grading: does a model output's final answer equal the reference answer?

Reading the answer is `s1lib.eval.answers` (boxes, "Answer:" lines, multiple-choice letters); this module compares.

| kind | compared by |
|---|---|
| `aime`, `integer` | numeric value (`025` = `25` = `25.0`), else symbolic equivalence |
| `gsm8k` | numeric value, units after the number ignored (`18 dollars` = `18`), else symbolic equivalence |
| `math` | exact string after normalisation, numeric value, else symbolic equivalence (`math-verify`); then the form |
|        | the question demands, when it demands one (`s1lib.eval.form`) |
| `gpqa` | the option letter (`answers.read_choice`); a hedge between options is wrong |

Normalisation keeps case (`X` is not `x`, `\\Pi` is not `\\pi`). Symbolic equivalence runs in worker processes with a
hard time limit (`s1lib.eval.verify`): one pathological answer is graded wrong with `reason="timeout"` and never
stalls an evaluation. Every wrong grade that is not a plain mismatch says why in `reason` ("no answer", "hedge: A, B",
"timeout", "unparsable: ...", "form: ...", a guard such as "power too large to compute").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from s1lib.eval.answers import answer_section, boxes_offered, extract_answer, read_choice
from s1lib.eval.form import form_problem
from s1lib.eval.verify import TIMEOUT_S, equal_many

GRADING_KINDS = ("aime", "math", "gsm8k", "gpqa", "integer")


@dataclass
class Grade:
    extracted: str | None
    correct: bool | None  # None only inside grade_many, before symbolic equivalence decides
    grader: str = "rules"
    reason: str | None = None  # why it is wrong without a verdict on the value (None: graded normally)


def _normalise(s: str) -> str:
    s = s.strip().strip("$").strip()
    s = re.sub(r"\\text\{\s*([^{}]*?)\s*\}", r"\1", s)
    s = re.sub(r"\\(?:left|right|displaystyle|!|,|;)", "", s)
    s = s.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac")
    return re.sub(r"\s+", "", _DEGREES.sub("", s)).rstrip(".")


_DEGREES = re.compile(r"\^\s*\{?\\circ\}?|°|\\degree\b")  # 30^\circ, 30^{\circ}, 30°, 30\degree: all 30
_NUMBER = re.compile(r"(?:\\?\$)?\s*([+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[+-]?\.\d+)")
SCALES = {"hundred": 100, "thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12}
_PARTS = re.compile(
    r"(?i)\b(?:tenths|hundredths|thousandths|millionths|halves|thirds|quarters|fourths|fifths)\b"
)  # not units
_SCALE = re.compile(r"\s*\b(" + "|".join(SCALES) + r")\b", re.IGNORECASE)


def _scaled(digits: str, scale: str | None) -> float:
    """`1.5` `million` -> 1500000.0, exactly (Decimal: 1.1 million is not 1100000.0000000002)."""
    value = Decimal(digits.replace(",", ""))
    return float(value * SCALES[scale.lower()] if scale else value)


def _number(s: str | None, units: bool = False) -> float | None:
    """The value of a plain number (`1,200`, `$5`, `18.00`, `1.5 million`); with `units`, words after it are allowed
    (`18 dollars`, `5 cm`, `25\\%`)."""
    if s is None:
        return None
    s = re.sub(r"\\(?:text|mathrm)\{([^{}]*)\}", r" \1", s).replace("{,}", ",").replace("\\!", "")
    s = _DEGREES.sub("", s).strip().strip("$").strip()
    m = _NUMBER.match(s)
    if not m:
        return None
    scale = _SCALE.match(s, m.end())
    rest = s[scale.end() if scale else m.end() :].strip().rstrip(".")
    if rest and not (units and re.fullmatch(r"(?:\\?%|[A-Za-z][A-Za-z .]*)", rest)) or _PARTS.match(rest):
        return None
    return _scaled(m.group(1), scale.group(1) if scale else None)


_FINAL = re.compile(
    r"(?<![\w.])([+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)(?![\w.^_])(?:\s+(" + "|".join(SCALES) + r")\b)?",
    re.IGNORECASE,
)


def _final_number(s: str) -> float | None:
    """For integer-answer kinds: the one number a short statement ends on ("m+n = 73", "the value is 73", "it earns
    1.5 million"); None when it names several ("18 dollars and 50 cents") or none."""
    tail = re.split(r"=", s)[-1]
    numbers = _FINAL.findall(tail)
    if len(numbers) != 1 or re.search(r"[\^_\\]", tail) or _PARTS.search(tail):
        return None
    digits, scale = numbers[0]
    return _scaled(digits, scale or None)


def _symbols(s: str) -> set[str]:
    """LaTeX commands and one-letter variables of an answer, outside text."""
    s = re.sub(r"\\(?:text|mathrm|textbf|operatorname|mbox)\s*\{[^{}]*\}", " ", _normalise(s))
    commands = set(re.findall(r"\\[A-Za-z]+", s))
    return commands | set(re.findall(r"[A-Za-z]", re.sub(r"\\[A-Za-z]+", " ", s)))


def _case_conflict(gold: str, pred: str) -> bool:
    """Does `pred` write a symbol of `gold` in another case (`X` for `x`, `\\Pi` for `\\pi`)? math-verify
    equates them; in mathematics they are different symbols."""
    ours, theirs = _symbols(gold), _symbols(pred)
    lowered = {t.lower() for t in ours}
    return any(t not in ours and t.lower() in lowered for t in theirs)


def gsm8k_gold(answer_field: str) -> str:
    """The final number of a GSM8K worked solution (`... #### 72`)."""
    return answer_field.split("####")[-1].strip().replace(",", "")


def _by_rules(kind: str, text: str, gold: str, official: bool) -> Grade:
    """The grade when rules decide it; else a grade with `correct=None` and the extracted answer, for symbolic
    equivalence to decide."""
    if kind not in GRADING_KINDS:
        raise ValueError(f"unknown benchmark kind '{kind}' ({', '.join(GRADING_KINDS)})")
    if kind == "gpqa":
        if official:
            letter = (extract_answer(text, official=True) or "").strip().upper()
            letter = letter if letter in ("A", "B", "C", "D") else "A"  # the harness's default
            return Grade(letter, letter == gold.strip().upper())
        letter, reason = read_choice(text)
        return Grade(letter, letter == gold.strip().upper(), reason=reason)
    extracted = extract_answer(text, official=official)
    if extracted is None:
        return Grade(None, False, reason="no answer")
    if not official and boxes_offered(answer_section(text)):
        return Grade(extracted, False, reason="hedge: two boxed answers")
    if _normalise(extracted) == _normalise(gold):
        return Grade(extracted, True)
    units = kind in ("aime", "gsm8k", "integer")
    value, target = _number(extracted, units=units), _number(gold, units=units)
    if value is None and units:
        value = _final_number(extracted)
    if value is not None and target is not None:
        return Grade(extracted, value == target)
    if _case_conflict(gold, extracted):
        return Grade(extracted, False)
    return Grade(extracted, None)


def grade_many(items: Sequence[tuple], official: bool = False, timeout: float = TIMEOUT_S) -> list[Grade]:
    """Grade many `(kind, output, gold)` or `(kind, output, gold, question)` at once: the answers that need
    symbolic equivalence are compared in parallel by the worker pool."""
    grades = [_by_rules(kind, text, gold, official) for kind, text, gold, *_ in items]
    pending = [i for i, g in enumerate(grades) if g.correct is None]
    verdicts = equal_many([(items[i][2], grades[i].extracted) for i in pending], timeout=timeout)
    for i, (ok, reason) in zip(pending, verdicts):
        grades[i] = Grade(grades[i].extracted, ok, reason=reason)
    for (kind, _, gold, *question), g in zip(items, grades):
        if kind == "math" and g.correct and question and not official:
            problem = form_problem(question[0], gold, g.extracted)
            if problem:
                g.correct, g.reason = False, problem
    return grades


def grade(kind: str, text: str, gold: str, official: bool = False, question: str | None = None) -> Grade:
    """Grade a model output for a benchmark `kind` in {aime, math, gsm8k, gpqa, integer}; with `question`, a
    MATH answer must also have the form the question demands."""
    return grade_many([(kind, text, gold, question)], official=official)[0]


def canonical_answers(kind: str, answers: Sequence[str | None]) -> list[str | None]:
    """Each answer replaced by the first earlier answer it equals (as grading compares them), so votes count
    equivalence classes: `["7", "25", "025"]` -> `["7", "25", "25"]`."""

    def key(a: str) -> object:
        if kind == "gpqa":
            return a
        value = _number(a, units=kind in ("aime", "gsm8k", "integer"))
        return value if value is not None else _normalise(a)

    firsts: dict[object, str] = {}
    for a in answers:
        if a is not None:
            firsts.setdefault(key(a), a)
    reps = list(firsts.values())
    merged = {r: r for r in reps}
    symbolic = reps if kind in ("math", "gsm8k") else []
    pairs = [
        (a, b)
        for i, a in enumerate(symbolic)
        for b in symbolic[i + 1 :]
        if isinstance(key(a), str) or isinstance(key(b), str)
    ]  # two numbers are already told apart
    for (a, b), (same, _) in zip(pairs, equal_many(pairs)):
        if same and merged[b] == b:
            merged[b] = merged[a]
    return [None if a is None else merged[firsts[key(a)]] for a in answers]


def reason_counts(reasons: Sequence[str | None]) -> dict[str, int]:
    """How many grades had each kind of reason ("timeout", "hedge", "form", ...), for metrics.json."""
    counts: dict[str, int] = {}
    for r in reasons:
        if r:
            name = re.split(r"[:(]", r, maxsplit=1)[0].strip()
            counts[name] = counts.get(name, 0) + 1
    return dict(sorted(counts.items()))
