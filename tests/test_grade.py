"""Hand-checked grading cases: (kind, gold, model output, expected correct)."""

import threading
import time

import pytest

from s1lib.eval import grade as grading
from s1lib.eval.grade import answer_section, extract_answer, grade, gsm8k_gold, last_boxed, math_equal

A = "<|im_start|>think\nsome thinking\n<|im_start|>answer\n"

CASES = [
    # fractions
    ("math", "\\frac{1}{3}", A + "So $\\boxed{\\frac{1}{3}}$.", True),
    ("math", "\\frac{1}{3}", A + "$\\boxed{\\dfrac{1}{3}}$", True),
    ("math", "\\frac{1}{3}", A + "\\boxed{1/3}", True),
    ("math", "\\frac{2}{4}", A + "\\boxed{\\frac{1}{2}}", True),
    ("math", "\\frac{1}{3}", A + "\\boxed{0.3}", False),
    ("math", "\\frac{3}{2}", A + "\\boxed{1.5}", True),
    ("math", "-\\frac{1}{2}", A + "\\boxed{-0.5}", True),
    ("math", "\\frac{1}{3}", A + "\\boxed{\\frac{1}{4}}", False),
    # decimals and integers
    ("math", "0.5", A + "\\boxed{\\frac12}", True),
    ("math", "3.14", A + "\\boxed{3.14}", True),
    ("math", "10", A + "\\boxed{10.0}", True),
    ("math", "10", A + "\\boxed{11}", False),
    ("math", "1000", A + "\\boxed{1,000}", True),
    ("math", "1000000", A + "\\boxed{1{,}000{,}000}", True),
    # units, degrees, percentages
    ("math", "30^\\circ", A + "\\boxed{30}", True),
    ("math", "5\\text{ cm}", A + "\\boxed{5}", True),
    ("math", "\\$18.90", A + "\\boxed{18.90}", True),
    ("math", "25\\%", A + "\\boxed{25}", True),
    ("math", "25\\%", A + "\\boxed{25\\%}", True),
    ("math", "25\\%", A + "\\boxed{26\\%}", False),
    # roots, pi, expressions
    ("math", "2\\sqrt{2}", A + "\\boxed{\\sqrt{8}}", True),
    ("math", "\\sqrt{2}", A + "\\boxed{\\sqrt{3}}", False),
    ("math", "3\\pi", A + "\\boxed{3 \\pi}", True),
    ("math", "x^2+2x+1", A + "\\boxed{(x+1)^2}", True),
    ("math", "x^2+2x+1", A + "\\boxed{(x-1)^2}", False),
    ("math", "y=2x+3", A + "\\boxed{y = 2x + 3}", True),
    # intervals, tuples, sets, matrices
    ("math", "(-\\infty,2]", A + "\\boxed{(-\\infty, 2]}", True),
    ("math", "(-\\infty,2]", A + "\\boxed{(-\\infty, 2)}", False),
    ("math", "[1,3)", A + "\\boxed{[1,3)}", True),
    ("math", "(2,-1)", A + "\\boxed{(2, -1)}", True),
    ("math", "(2,-1)", A + "\\boxed{(-1, 2)}", False),
    ("math", "1,2,3", A + "\\boxed{1, 2, 3}", True),
    ("math", "\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", A + "\\boxed{\\begin{pmatrix}1\\\\2\\end{pmatrix}}", True),
    ("math", "\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", A + "\\boxed{\\begin{pmatrix}2\\\\1\\end{pmatrix}}", False),
    # text answers
    ("math", "\\text{Monday}", A + "\\boxed{\\text{Monday}}", True),
    ("math", "\\text{Monday}", A + "\\boxed{Monday}", True),
    ("math", "\\text{(C)}", A + "\\boxed{(C)}", True),
    ("math", "\\text{Tuesday}", A + "\\boxed{\\text{Monday}}", False),
    # boxed with spaces, nested braces, fbox, several boxes
    ("math", "12", A + "the answer is $\\boxed 12$", True),
    ("math", "\\frac{1}{2}", A + "\\boxed{ \\frac{1}{2} }", True),
    ("math", "\\frac{\\sqrt{3}}{2}", A + "\\boxed{\\frac{\\sqrt{3}}{2}}", True),
    ("math", "7", A + "\\fbox{7}", True),
    ("math", "7", A + "first \\boxed{5}, corrected: \\boxed{7}", True),
    ("math", "5", A + "first \\boxed{5}, corrected: \\boxed{7}", False),
    # Answer: lines (no box)
    ("math", "42", A + "Final Answer: 42", True),
    ("math", "42", A + "Final Answer: The final answer is 41.\nAnswer: 42", True),
    ("math", "42", A + "**Final Answer:** 42", True),
    # missing answers
    ("math", "42", A + "I am not sure.", False),
    ("math", "42", A + "\\boxed{42", False),
    ("math", "42", "", False),
    # the answer section is used, not the thinking
    ("math", "3", "<|im_start|>think\n\\boxed{3}\n<|im_start|>answer\n\\boxed{4}", False),
    ("math", "4", "<|im_start|>think\n\\boxed{3}\n<|im_start|>answer\n\\boxed{4}", True),
    # AIME: integers with leading zeros
    ("aime", "025", A + "\\boxed{25}", True),
    ("aime", "25", A + "\\boxed{025}", True),
    ("aime", "025", A + "Final Answer: 25", True),
    ("aime", "204", A + "\\boxed{204.}", True),
    ("aime", "204", A + "\\boxed{240}", False),
    ("aime", "033", A + "\\boxed{33.0}", True),
    ("aime", "110", A + "no answer", False),
    # GSM8K: gold from '#### N'
    ("gsm8k", "72", A + "\\boxed{72}", True),
    ("gsm8k", "1200", A + "Final Answer: 1,200", True),
    ("gsm8k", "5", A + "Final Answer: $5", True),
    ("gsm8k", "18", A + "\\boxed{18.00}", True),
    ("gsm8k", "18", A + "\\boxed{81}", False),
    # GPQA letters
    ("gpqa", "B", A + "\\boxed{B}", True),
    ("gpqa", "B", A + "Answer: (B)", True),
    ("gpqa", "B", A + "Answer: b", True),
    ("gpqa", "B", A + "\\boxed{\\text{B}}", True),
    ("gpqa", "C", A + "Answer: B) the second option", False),
    ("gpqa", "A", A + "I cannot decide", False),
]


@pytest.mark.parametrize("kind, gold, output, expected", CASES)
def test_hand_checked_cases(kind, gold, output, expected):
    result = grade(kind, output, gold)
    assert result.correct is expected, result


def test_there_are_at_least_sixty_cases():
    assert len(CASES) >= 60


def test_official_answer_regex_takes_everything_after_the_first_answer():
    text = A + "Answer: 41, no wait.\nFinal Answer: 42"
    assert extract_answer(text, official=True) == "41, no wait.\nFinal Answer: 42"
    assert extract_answer(text) == "42"
    assert not grade("math", text, "42", official=True).correct and grade("math", text, "42").correct


def test_official_gpqa_defaults_to_a():
    assert grade("gpqa", A + "no idea", "A", official=True).correct
    assert not grade("gpqa", A + "no idea", "A").correct


def test_answer_section_fallbacks():
    assert answer_section("x<|im_start|>answer\nFinal Answer: 3") == "Final Answer: 3"
    assert answer_section("x<|im_start|>assistant\nAnswer: 3") == "Answer: 3"
    assert answer_section("plain Answer: 3") == "plain Answer: 3"
    assert last_boxed("\\boxed{a{b}c}") == "a{b}c"


def test_gsm8k_gold():
    assert gsm8k_gold("She pays 3 * 4 = <<3*4=12>>12 dollars.\n#### 1,212") == "1212"


def test_math_verify_hang_counts_wrong_and_works_off_the_main_thread(monkeypatch):
    import math_verify

    monkeypatch.setattr(math_verify, "verify", lambda *a, **k: time.sleep(5))
    results = []
    worker = threading.Thread(target=lambda: results.append(math_equal("x+1", "1+x", timeout=0.2)))
    worker.start()
    worker.join(5)
    (ok, error), = results
    assert ok is False and "timeout" in error


def test_parse_error_is_logged_not_raised(caplog, monkeypatch):
    import math_verify

    def broken(*args, **kwargs):
        raise RuntimeError("antlr exploded")

    monkeypatch.setattr(math_verify, "parse", broken)
    caplog.set_level("INFO", logger=grading.__name__)
    ok, error = math_equal("\\frac{1}{2}", "0.5")
    assert ok is False and error
    assert "math-verify could not compare" in caplog.text


def test_all_math500_gold_solutions_grade_correct(shared_data):
    from s1lib.data.sources import load

    rows = load("math500")
    correct = sum(grade("math", r["solution"], r["answer"]).correct for r in rows)
    assert (correct, len(rows)) == (500, 500)
