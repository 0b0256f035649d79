"""Answers whose form the question demands ("Factor ...", "in simplest radical form", "as a common fraction").

Equivalence alone credits `ab+5b+2a+10` for "Factor ab+5b+2a+10" and `\\sqrt{242}` for "Simplify \\sqrt{242}".
The official pipeline asks gpt-4o-mini whether the answer matches the reference, which catches some of these. Here
a question's demand is read from its wording (`demands`) and the prediction's form is checked on its text, with no
model and no parsing:

| demand | wording | the prediction must |
|---|---|---|
| factor | "Factor ...", "factored form" | be a product or power: no `+`/`-` outside brackets |
| expand | "Expand ...", "expanded form" | have no bracket holding a sum |
| radical | "simplest radical form", "Simplify" with a root in the reference | no `\\sqrt{n}` with a square factor |
| fraction | "common fraction", "lowest terms", "simplest form" | have no decimal point and reduced integer fractions |
| decimal | "as a decimal", "to the nearest tenth" | have no fraction |
| mixed | "mixed number" | be an integer followed by a fraction |

A rule is applied only when the reference answer itself passes it, so a rule can never fail a correct reference.
On MATH500, 37 of 500 questions carry at least one of these demands (`tests/test_grade.py` counts them).
"""

from __future__ import annotations

import math
import re

_DEMANDS = {
    "factor": r"(?i)(?:^|[.!?:]\s+|\n)\s*(?:completely\s+)?factor\b|factored form|\bfactor (?:the|completely)",
    "expand": r"(?i)(?:^|[.!?:]\s+|\n)\s*expand\b|expanded form",
    "radical": r"(?i)radical form|\bsimplify\b.*\\sqrt",
    "fraction": r"(?i)common fraction|lowest terms|simplest form|reduced fraction",
    "decimal": r"(?i)as a decimal|decimal to the nearest|to the nearest (?:tenth|hundredth|thousandth)",
    "mixed": r"(?i)mixed number",
}


def demands(question: str | None) -> list[str]:
    """The form demands a question's wording makes (see the table in the module docstring)."""
    if not question:
        return []
    return [name for name, pattern in _DEMANDS.items() if re.search(pattern, question, re.DOTALL)]


def _bare(s: str) -> str:
    s = re.sub(r"\\(?:left|right|displaystyle|,|;|!)", "", s)
    s = re.sub(r"\\[dt]frac", r"\\frac", s)
    return re.sub(r"\s+", "", s.strip().strip("$"))


def _top_level(s: str) -> str:
    """`s` with everything inside brackets and braces removed."""
    out, depth = [], 0
    for ch in s:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def _is_factored(s: str) -> bool:
    top = _top_level(_bare(s)).lstrip("-")
    return not re.search(r"[+\-]", top)


def _is_expanded(s: str) -> bool:
    return not any(re.search(r"[+\-]", inner) for inner in re.findall(r"\(([^()]*)\)", _bare(s)))


def _square_free(n: int) -> bool:
    return all(n % (k * k) for k in range(2, math.isqrt(n) + 1))


def _radicals_simplified(s: str) -> bool:
    roots = re.findall(r"\\sqrt\{(\d+)\}|\\sqrt(\d)|sqrt\((\d+)\)", _bare(s))
    return all(_square_free(int(next(g for g in groups if g))) for groups in roots)


def _fractions_reduced(s: str) -> bool:
    s = _bare(s)
    if re.search(r"\d\.\d", s):
        return False
    pairs = re.findall(r"\\frac\{?(\d+)\}?\{?(\d+)\}?", s) + re.findall(r"(?<![\w.])(\d+)/(\d+)(?![\w.])", s)
    return all(math.gcd(int(a), int(b)) == 1 for a, b in pairs)


def _no_fraction(s: str) -> bool:
    return not re.search(r"\\frac|/", _bare(s))


def _is_mixed(s: str) -> bool:
    return bool(re.fullmatch(r"-?\d+\\frac\{?\d+\}?\{?\d+\}?", _bare(s)))


CHECKS = {
    "factor": _is_factored,
    "expand": _is_expanded,
    "radical": _radicals_simplified,
    "fraction": _fractions_reduced,
    "decimal": _no_fraction,
    "mixed": _is_mixed,
}


def form_problem(question: str | None, gold: str, pred: str) -> str | None:
    """Why `pred` is not in the form the question asks for (None: it is, or nothing is asked)."""
    for demand in demands(question):
        check = CHECKS[demand]
        if check(gold) and not check(pred):
            return f"form: the question asks for {demand} form"
    return None
