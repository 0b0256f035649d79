import math

import pytest

from s1lib.eval.metrics import (
    bootstrap_ci,
    control,
    majority_at_k,
    paired_bootstrap,
    paper_thinking_tokens,
    performance,
    scaling,
    thinking_text,
)


def test_thinking_text_drops_first_and_last_line():
    response = "<|im_start|>think\nstep one\nstep two\n<|im_start|>answer\nAnswer: 3"
    assert thinking_text(response) == "step one\nstep two"
    forced = "<|im_start|>think\nstep one\n<|im_start|>answer\nFinal Answer: 3"
    assert thinking_text(forced) == "step one"


def test_paper_thinking_tokens_use_the_qwen_tokenizer():
    response = "<|im_start|>think\nHello world\n<|im_start|>answer\nAnswer: 3"
    assert paper_thinking_tokens(response) == 2  # "Hello", " world" in Qwen2.5's BPE
    assert paper_thinking_tokens("<|im_start|>think\n\n<|im_start|>answer\n") == 0


def test_bootstrap_interval_contains_mean_and_shrinks_with_n():
    mean, lo, hi = bootstrap_ci([1, 0] * 10)
    assert mean == 0.5 and lo < 0.5 < hi
    _, lo2, hi2 = bootstrap_ci([1, 0] * 500)
    assert hi2 - lo2 < (hi - lo) / 3
    assert bootstrap_ci([1, 1, 1]) == (1.0, 1.0, 1.0)


def test_paired_bootstrap():
    a = [1, 1, 1, 1, 0, 1, 1, 1] * 5
    b = [0, 1, 0, 1, 0, 0, 1, 0] * 5
    diff, lo, hi = paired_bootstrap(a, b)
    assert diff == pytest.approx(0.5) and lo > 0
    diff, lo, hi = paired_bootstrap(a, a)
    assert (diff, lo, hi) == (0.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="same questions"):
        paired_bootstrap([1, 0], [1])


def test_control_hand_computed():
    # three settings asked for at most 1000/2000/4000 tokens; the second overshoots
    assert control([900, 2500, 4000], [None] * 3, [1000, 2000, 4000]) == pytest.approx(2 / 3)
    assert control([10, 50], [20, 0], [None, 100]) == 0.5


def test_scaling_hand_computed():
    # points (1k, 10%), (2k, 30%), (4k, 30%): per doubling slopes 20, 10, 0 -> mean 10
    assert scaling([1000, 2000, 4000], [10, 30, 30]) == pytest.approx(10.0)
    # per 1k tokens: (30-10)/1 = 20, (30-10)/3 = 6.667, (30-30)/2 = 0 -> 8.889
    assert scaling([1000, 2000, 4000], [10, 30, 30], per="1k") == pytest.approx((20 + 20 / 3 + 0) / 3)
    assert scaling([4000, 1000], [0, 40]) == pytest.approx(-20.0)  # order does not matter; falling is negative
    assert math.isnan(scaling([1000], [50]))


def test_performance():
    assert performance([10, 56.7, 40]) == 56.7


def test_majority_at_k():
    answers = ["3", "4", "4", None, "3", "3"]
    correct = [True, False, False, False, True, True]
    assert majority_at_k(answers, correct, 3) is False  # "4" twice
    assert majority_at_k(answers, correct, 6) is True  # "3" three times
    assert majority_at_k(["3", "4"], [True, False], 2) is True  # tie: first seen wins
    assert majority_at_k([None, None], [False, False], 2) is False
