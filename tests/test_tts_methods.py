"""The other test-time-scaling methods as settings of the budget-forcing state machine (native cap with a message,
NoWait, AlphaOne), on a scripted engine: exact, fast, no model."""

from dataclasses import replace

import pytest

from s1lib.format import encode
from s1lib.infer import Forcing, generate
from s1lib.infer.forcing import Sample, Vocab, word_token_ids

from fakes import ScriptedEngine

MESSAGE = "Considering the limited time, I have to answer now."


@pytest.fixture()
def tok(smol_tokenizer):
    return smol_tokenizer


def first(tok, text):
    return encode(tok, text)[0]


def scripted(tok, stop_every=0, wait_every=0, break_every=0, word=" ab"):
    """Thinking writes `word`, a stop at every `stop_every`th position, " Wait" at every `wait_every`th and a
    paragraph break at every `break_every`th (0: never); the answer is "7"."""
    filler, wait, paragraph = first(tok, word), first(tok, " Wait"), first(tok, "\n\n")
    im_start, im_end, seven = first(tok, "<|im_start|>"), first(tok, "<|im_end|>"), first(tok, "7")

    def script(sample, n, seed):
        if sample.phase == "answer":
            return seven if sample.answer_tokens == 0 else im_end
        for every, token in ((stop_every, im_start), (wait_every, wait), (break_every, paragraph)):
            if every and n % every == 0:
                return token
        return filler

    return script, filler


def run(tok, forcing, script_and_filler, questions=("q?",)):
    return generate(ScriptedEngine(tok, *script_and_filler), list(questions), forcing, progress=False)


def kinds(g):
    return [k for k, _ in g.segments]


# -- native cap with a message ------------------------------------------------------------------------------------
def test_a_spent_budget_forces_the_message_then_the_end(tok):
    (g,) = run(tok, Forcing(max_thinking=10, max_answer=4, end_message=MESSAGE), scripted(tok))
    assert g.forced_end and g.thinking_tokens == 10
    assert g.text.endswith(f"\n{MESSAGE}\n<|im_start|>answer\nFinal Answer:7")
    assert kinds(g) == ["think_start", "model", "end_message", "forced_end", "answer"]
    assert MESSAGE not in g.thinking and g.answer == "Final Answer:7"
    assert g.total_tokens == len(g.token_ids) > g.thinking_tokens + g.answer_tokens + len(encode(tok, MESSAGE))


def test_the_message_as_native_caps_send_it_without_final_answer(tok):
    (g,) = run(tok, Forcing(max_thinking=10, max_answer=4, end_message=MESSAGE, forced_answer=""), scripted(tok))
    assert g.text.endswith(f"\n{MESSAGE}\n<|im_start|>answer7") and g.answer == "7"


def test_a_natural_end_sends_no_message(tok):
    (g,) = run(tok, Forcing(max_thinking=50, max_answer=4, end_message=MESSAGE), scripted(tok, stop_every=9))
    assert not g.forced_end and MESSAGE not in g.text and "end_message" not in kinds(g)


# -- NoWait -------------------------------------------------------------------------------------------------------
def test_suppressed_words_never_appear_in_thinking_in_any_form(tok):
    forcing = Forcing(max_thinking=40, max_answer=4, suppress=("wait",))
    assert run(tok, replace(forcing, suppress=()), scripted(tok, wait_every=3))[0].thinking.count("Wait") >= 10
    (g,) = run(tok, forcing, scripted(tok, wait_every=3))
    banned = word_token_ids(tok, ("wait",), "suppress")
    assert {tok.decode([i]) for i in banned} >= {"Wait", " Wait", "wait", " wait"}
    assert not banned & set(g.token_ids) and g.thinking_tokens == 40


def test_suppression_masks_what_the_model_writes_not_what_is_forced(tok):
    forcing = Forcing(max_thinking=60, max_answer=4, suppress=("Wait",), ignore=2)
    (g,) = run(tok, forcing, scripted(tok, stop_every=11, wait_every=3))
    assert g.n_ignored == 2 and [t for k, t in g.segments if k == "ignore"] == ["Wait", "Wait"]
    assert "Wait" not in "".join(t for k, t in g.segments if k == "model")


def test_a_word_that_is_no_single_token_is_refused_by_name(tok):
    with pytest.raises(ValueError, match="'double-check' is not a single token"):
        run(tok, Forcing(max_thinking=8, suppress=("Wait", "double-check")), scripted(tok))


# -- AlphaOne -----------------------------------------------------------------------------------------------------
def alpha(**kw):
    return Forcing(max_thinking=80, max_answer=4, alpha=1.0, alpha_reference=30, **kw)


def test_before_the_moment_every_break_gets_the_string_at_chance_one(tok):
    (g,) = run(tok, alpha(alpha_p=1.0, alpha_schedule="constant"), scripted(tok, break_every=4))
    paragraph, wait = first(tok, "\n\n"), encode(tok, "Wait")
    thinking = g.token_ids[len(encode(tok, "<|im_start|>think")) :][: g.thinking_tokens]
    breaks = [i + 1 for i, t in enumerate(thinking) if t == paragraph]  # thinking tokens up to and with each break
    before, after = [at for at in breaks if at < 30], [at for at in breaks if at >= 30]
    assert before and after
    assert all(thinking[at : at + len(wait)] == wait for at in before)
    assert not any(thinking[at : at + len(wait)] == wait for at in after)
    assert g.n_inserted == len(before) and kinds(g).count("inserted") == len(before)


def test_at_chance_zero_nothing_is_inserted(tok):
    (g,) = run(tok, alpha(alpha_p=0.0), scripted(tok, break_every=4))
    assert g.n_inserted == 0 and "inserted" not in kinds(g)


def test_after_the_moment_a_written_wait_ends_thinking(tok):
    (g,) = run(tok, alpha(alpha_p=0.0), scripted(tok, wait_every=7))
    assert not g.forced_end and 30 <= g.thinking_tokens < 37
    assert g.thinking.count("Wait") == g.thinking_tokens // 7  # the Waits before the moment stay
    assert g.text.endswith("<|im_start|>answer7")


def test_the_linear_schedule_inserts_less_often_than_the_constant_one_and_draws_by_seed(tok):
    questions = [f"q{i}?" for i in range(40)]
    linear = run(tok, alpha(alpha_p=1.0), scripted(tok, break_every=3), questions)
    constant = run(tok, alpha(alpha_p=1.0, alpha_schedule="constant"), scripted(tok, break_every=3), questions)
    assert sum(g.n_inserted for g in linear) < sum(g.n_inserted for g in constant)
    assert len({g.n_inserted for g in linear}) > 1  # each question draws its own
    again = run(tok, alpha(alpha_p=1.0), scripted(tok, break_every=3), questions)
    assert [g.token_ids for g in again] == [g.token_ids for g in linear]


def test_a_request_for_the_engine_stops_at_the_moment(tok):
    forcing = alpha(alpha_p=0.0)
    vocab = Vocab.build(tok, forcing)
    s = Sample(encode(tok, "q?"), forcing, vocab, budget=80)
    assert s.segment_room == 30 and not s.fast
    segment = s.segment_id
    for _ in range(30):
        s.accept(first(tok, " ab"))
    assert s.fast and s.segment_id == segment + 1 and s.segment_room == 50
    assert vocab.ignore_word_ids <= s.stop_ids


@pytest.mark.parametrize(
    "settings, message",
    [
        (dict(alpha=1.4), "alpha needs alpha_reference"),
        (dict(alpha=1.4, alpha_reference=100, ignore_str=""), "alpha needs an ignore_str"),
        (dict(alpha=1.4, alpha_reference=100, ignore=1), "alpha and ignore"),
        (dict(alpha=0, alpha_reference=100), "greater than 0"),
        (dict(alpha_p=1.5), "less than or equal to 1"),
        (dict(alpha_schedule="cosine"), "'linear' or 'constant'"),
        (dict(suppress=("Wait", " ")), "a word is empty"),
    ],
)
def test_bad_settings_name_the_setting(settings, message):
    with pytest.raises(ValueError, match=message):
        Forcing(**settings)


def test_the_sweep_refuses_alpha_scheduling(tok):
    from s1lib.infer.sweep import string_sweep, sweep

    engine = ScriptedEngine(tok, *scripted(tok, stop_every=9))
    with pytest.raises(ValueError, match="cannot be swept"):
        sweep(engine, ["q?"], [16, 32], [0], alpha())
    with pytest.raises(ValueError, match="cannot be swept"):
        string_sweep(engine, ["q?"], ["Wait"], 1, alpha())


# -- the comparison's arithmetic (s1lib.eval.methods) -------------------------------------------------------------
DRAWN = {  # four samples of one question; sample 1 thinks least, then 3, 0, 2
    "answers": ["3", "4", "3", "5"],
    "correct": [True, False, True, False],
    "thinking": [10, 5, 20, 8],
    "total": [15, 10, 25, 13],
    "head": 2,
}


def test_short_m_at_k_votes_among_the_first_to_finish_and_counts_the_stopped_samples_tokens():
    from s1lib.eval.methods import majority, short_m

    # m = 1: sample 1 alone ("4", wrong); the others stopped after 5 thinking tokens (+ the 2-token delimiter)
    assert short_m(DRAWN, 4, 1) == (False, 5 + 5 + 5 + 5, 10 + 7 + 7 + 7)
    # m = 3: samples 1, 3, 0 ("4", "5", "3": a tie, the first to finish wins); sample 2 stopped after 10
    assert short_m(DRAWN, 4, 3) == (False, 5 + 8 + 10 + 10, 10 + 13 + 15 + 12)
    # k = 3 leaves sample 3 out: samples 1 and 0 finish first
    assert short_m(DRAWN, 3, 2) == (False, 5 + 10 + 10, 10 + 15 + 12)
    assert majority(DRAWN, 4) == (True, 43, 63) and majority(DRAWN, 2) == (True, 15, 25)


def test_samples_that_finish_together_are_taken_in_order():
    from s1lib.eval.methods import short_m

    drawn = {**DRAWN, "thinking": [5, 5, 5, 5], "total": [9, 9, 9, 9]}
    assert short_m(drawn, 4, 1)[0] is True  # sample 0 ("3", right) is first among equals


def method_row(method, setting, correct, tokens):
    return {
        "method": method,
        "setting": setting,
        "correct": correct,
        "total_tokens": tokens,
        "n": len(correct),
        "accuracy": 100 * sum(correct) / len(correct),
        "thinking_tokens": tokens - 5,
        "ci_low": 0,
        "ci_high": 100,
    }


def test_each_method_is_paired_with_the_budget_forcing_setting_nearest_in_tokens():
    from s1lib.eval.methods import matched, series

    n = 40
    rows = [
        method_row("budget forcing", "no forcing", [False] * n, 20),
        method_row("budget forcing", '"Wait" x 1', [True] * 30 + [False] * 10, 60),
        method_row("budget forcing", '"Wait" x 2', [True] * 20 + [False] * 20, 100),
        method_row("NoWait", "no cap", [False] * n, 15),
        method_row("majority vote", "k=4", [True] * 20 + [False] * 20, 90),
    ]
    table = matched(rows)
    nowait, vote = table.loc[("NoWait", "no cap")], table.loc[("majority vote", "k=4")]
    assert nowait["budget forcing"] == "no forcing" and nowait["difference"] == 0 and not nowait["real"]
    assert vote["budget forcing"] == '"Wait" x 2' and vote["difference"] == 0 and vote["vs no forcing"] == 50
    assert vote["change ci_low"] > 0  # every question it gains, none it loses
    curves = series(rows)
    assert [x for x, *_ in curves['budget forcing: "Wait" x N']] == [20, 60, 100]  # starts at no forcing
    assert set(curves) == {'budget forcing: "Wait" x N', "budget forcing: caps", "NoWait", "majority vote"}


def test_verdicts_say_which_differences_are_real():
    from s1lib.eval.methods import matched, verdicts

    n = 40
    rows = [
        method_row("budget forcing", "no forcing", [False] * n, 20),
        method_row("budget forcing", '"Wait" x 1', [True] * 30 + [False] * 10, 60),
        method_row("NoWait", "no cap", [False] * n, 15),
        method_row("short-1@k", "k=4", [False] * n, 55),
    ]
    nowait, short = verdicts(matched(rows))
    assert "NoWait (no cap, 15 tokens): 0.0% cannot be told apart from budget forcing (no forcing" in nowait
    assert short.startswith('short-1@k (k=4, 55 tokens): 0.0% trails budget forcing ("Wait" x 1, 60 tokens, 75.0%)')
    assert "-75.0 points [" in short
