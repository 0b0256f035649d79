"""Budget-forcing semantics on a scripted engine: exact, fast, no model."""

import pytest

from s1lib.format import encode
from s1lib.infer import Forcing, generate
from s1lib.infer.forcing import Sample, Vocab, auto_budget

from fakes import ScriptedEngine


@pytest.fixture()
def tok(smol_tokenizer):
    return smol_tokenizer


def ids(tok, text):
    return encode(tok, text)


def stop_every(tok, period, word="ab"):
    """Thinking: `word` tokens, then `<|im_start|>` once a segment holds a multiple of `period`; answer: "7"."""
    w, im_start, im_end, seven = (
        ids(tok, word)[0],
        ids(tok, "<|im_start|>")[0],
        ids(tok, "<|im_end|>")[0],
        ids(tok, "7")[0],
    )

    def script(sample, n, seed):
        if sample.phase == "answer":
            return seven if sample.answer_tokens == 0 else im_end
        n = sample.segment_tokens
        return im_start if n and n % period == 0 else w

    return script, w


def run(tok, forcing, script, filler, questions=("q?",)):
    engine = ScriptedEngine(tok, script, filler)
    return generate(engine, list(questions), forcing, progress=False), engine


def test_budget_reached_forces_answer_suffix(tok):
    script, w = stop_every(tok, 1000)
    (g,), _ = run(tok, Forcing(max_thinking=10, max_answer=4), script, w)
    assert g.forced_end and g.thinking_tokens == 10 and g.n_ignored == 0
    assert g.text.endswith("\n<|im_start|>answer\nFinal Answer:7")
    assert g.answer == "Final Answer:7"
    assert [k for k, _ in g.segments] == ["think_start", "model", "forced_end", "answer"]


def test_no_double_newline_when_thinking_ends_with_one(tok):
    nl = ids(tok, "\n")[0]

    def script(s, n, seed):
        return nl if s.phase == "think" else ids(tok, "<|im_end|>")[0]

    (g,), _ = run(tok, Forcing(max_thinking=3, max_answer=4), script, nl)
    assert g.text == "<|im_start|>think\n\n\n<|im_start|>answer\nFinal Answer:"


def test_natural_end_appends_answer_delimiter_without_newline(tok):
    script, w = stop_every(tok, 4)
    (g,), _ = run(tok, Forcing(max_thinking=100, max_answer=4), script, w)
    assert not g.forced_end and g.thinking_tokens == 4
    assert g.text == "<|im_start|>think" + "ab" * 4 + "<|im_start|>answer7"


@pytest.mark.parametrize("ignore_str", ["Wait", "Hmm", "Alternatively", "", " let me check"])
def test_ignoring_the_end_appends_the_string(tok, ignore_str):
    script, w = stop_every(tok, 3)
    (g,), engine = run(tok, Forcing(max_thinking=200, ignore=2, ignore_str=ignore_str, max_answer=4), script, w)
    assert g.n_ignored == 2 and not g.forced_end
    assert g.thinking == "ababab" + ignore_str + "ababab" + ignore_str + "ababab"
    kinds = [k for k, _ in g.segments]
    assert kinds.count("ignore") == (2 if ignore_str else 0)
    # the segment after each ignore must produce at least one token before it may stop again
    assert [r[0][1] for r in engine.rounds[1:3]] == [1, 1]


def test_ignore_string_counts_against_budget_and_never_overflows(tok):
    script, w = stop_every(tok, 3)
    wait = len(ids(tok, "Wait"))
    for budget in range(1, 14):
        (g,), engine = run(tok, Forcing(max_thinking=budget, ignore=5, max_answer=2), script, w)
        assert g.thinking_tokens <= budget
        assert all(max_new >= 1 for rnd in engine.rounds for max_new, _ in rnd)
    (g,), _ = run(tok, Forcing(max_thinking=3 + wait, ignore=5, max_answer=2), script, w)
    assert g.n_ignored == 0  # "Wait" would leave no room for a single token: the end stands


def test_min_thinking_suppresses_the_end(tok):
    script, w = stop_every(tok, 2)
    (g,), engine = run(tok, Forcing(max_thinking=50, min_thinking=9, max_answer=2), script, w)
    assert g.thinking_tokens >= 9 and not g.forced_end and g.n_ignored == 0
    assert engine.rounds[0][0] == (50, 9)


def test_zero_or_negative_budget_never_calls_generation_for_thinking(tok):
    script, w = stop_every(tok, 3)
    for forcing in (
        Forcing(max_thinking=0, max_answer=3),
        Forcing(max_thinking="auto", max_generation=128, max_answer=3),
    ):
        (g,), engine = run(tok, forcing, script, w)
        assert g.forced_end and g.thinking_tokens == 0
        assert g.text.startswith("<|im_start|>think\n<|im_start|>answer\nFinal Answer:")
        assert len(engine.rounds) == 1  # only the answer round


def test_no_empty_round_when_samples_finish_at_different_times(tok):
    script, w = stop_every(tok, 2)
    engine = ScriptedEngine(tok, script, w)
    vocab = Vocab.build(tok, Forcing(ignore=3))
    samples = [Sample([1, 2], Forcing(ignore=3, max_answer=2), vocab, b) for b in (2, 6, 40)]
    engine.run(samples)
    assert all(s.done for s in samples) and all(engine.rounds)
    assert [len(r) for r in engine.rounds] == sorted((len(r) for r in engine.rounds), reverse=True)
    assert len(engine.rounds[-1]) == 1


def test_multi_token_stop_string(tok):
    stop = "\n\nDone"
    stop_ids = ids(tok, stop)
    assert len(stop_ids) > 1
    w = ids(tok, "ab")[0]
    seq = [w, w] + stop_ids

    def script(sample, n, seed):
        if sample.phase == "answer":
            return ids(tok, "<|im_end|>")[0]
        return seq[sample.segment_tokens % len(seq)]

    forcing = Forcing(max_thinking=60, ignore=1, stops=("<|im_start|>", stop), max_answer=2)
    (g,), _ = run(tok, forcing, script, w)
    assert g.n_ignored == 1 and not g.forced_end
    assert g.thinking == "abab" + "Wait" + "abab"  # the stop string is removed, never kept in the trace
    # with a floor the multi-token stop is dropped silently until the floor is met
    (g,), _ = run(tok, Forcing(max_thinking=60, min_thinking=5, stops=("<|im_start|>", stop), max_answer=2), script, w)
    assert g.thinking_tokens >= 5 and "Done" not in g.thinking


def test_multi_token_answer_stop_string(tok):
    """Answer stops are matched on every token, as thinking stops are (not on their first token only)."""
    stop = "\n\nDone"
    stop_ids = ids(tok, stop)
    w, end = ids(tok, "ab")[0], ids(tok, "<|im_start|>")[0]
    answer = ids(tok, "42") + stop_ids + [w] * 20

    def script(sample, n, seed):
        if sample.phase == "answer":
            return answer[sample.answer_tokens]
        return end if sample.segment_tokens >= 2 else w

    (g,), _ = run(tok, Forcing(max_thinking=60, max_answer=16, answer_stops=("<|im_end|>", stop)), script, w)
    assert g.answer == "42" and g.answer_tokens == len(ids(tok, "42"))  # stopped there, the stop string removed
    # the first token of the stop alone does not stop the answer
    first_only = ids(tok, "42") + stop_ids[:1] + [w] * 3 + [ids(tok, "<|im_end|>")[0]]
    (g,), _ = run(
        tok,
        Forcing(max_thinking=60, max_answer=16, answer_stops=("<|im_end|>", stop)),
        lambda s, n, seed: first_only[s.answer_tokens] if s.phase == "answer" else script(s, n, seed),
        w,
    )
    assert g.answer_tokens == len(first_only) - 1


def test_out_of_vocabulary_ids_are_never_fed_back(tok):
    vocab_size = len(tok)
    w = ids(tok, "ab")[0]

    def script(sample, n, seed):
        if sample.phase == "answer":
            return ids(tok, "<|im_end|>")[0]
        return vocab_size + 5 if sample.thinking_tokens == 3 else w

    (g,), _ = run(tok, Forcing(max_thinking=40, ignore=1, max_answer=2), script, w)
    assert all(t < vocab_size for t in g.token_ids)
    assert g.n_ignored == 1  # the bad id ended the segment like a stop, and was then ignored as one


def test_auto_budget_formula(tok):
    f = Forcing(max_thinking="auto", max_generation=32768)
    vocab = Vocab.build(tok, f)
    expected = (
        32768 - 40 - len(ids(tok, "<|im_start|>think")) - len(ids(tok, "<|im_start|>answer\nFinal Answer:")) - 100
    )
    assert auto_budget(f, vocab, [12, 40, 7]) == expected


def test_rejection_sampling_retries_until_thinking_fits(tok):
    w = ids(tok, "ab")[0]
    im_start, im_end = ids(tok, "<|im_start|>")[0], ids(tok, "<|im_end|>")[0]

    def script(sample, n, seed):  # short traces only for one seed
        if sample.phase == "answer":
            return im_end
        length = 3 if seed == 100_003 * 2 else 30
        return im_start if sample.thinking_tokens >= length else w

    forcing = Forcing(max_thinking=10, temperature=1.0, rejection_tries=5, max_answer=2)
    (g,), _ = run(tok, forcing, script, w)
    assert g.tries == 3 and not g.forced_end and g.thinking_tokens == 3
    (g,), _ = run(tok, Forcing(max_thinking=10, temperature=1.0, rejection_tries=2, max_answer=2), script, w)
    assert g.tries == 2 and g.forced_end and g.thinking_tokens == 10  # out of tries: the capped trace stays


def test_sweep_cut_points_follow_the_ignore_rule():
    from s1lib.infer.sweep import Cut, cut_for

    attempts = [5, 12, 30]  # the long run tried to end at these thinking-token positions
    assert cut_for(attempts, budget=100, ignore=0, ignore_len=1) == Cut(5, True, 0)
    assert cut_for(attempts, budget=100, ignore=2, ignore_len=1) == Cut(30, True, 2)
    assert cut_for(attempts, budget=20, ignore=2, ignore_len=1) == Cut(20, False, 2)  # cut inside the 3rd segment
    assert cut_for(attempts, budget=20, ignore=1, ignore_len=1) == Cut(12, True, 1)
    assert cut_for(attempts, budget=13, ignore=2, ignore_len=1) == Cut(12, True, 1)  # no room left for "Wait" + 1
    assert cut_for(attempts, budget=14, ignore=2, ignore_len=1) == Cut(14, False, 2)  # room for "Wait" and 1 token
    assert cut_for(attempts, budget=4, ignore=0, ignore_len=1) == Cut(4, False, 0)


def test_sweep_control_keeps_the_string_and_forces_the_answer_at_once(tok):
    from s1lib.infer.sweep import Cut, stop_cut, sweep

    assert stop_cut([5, 12, 30], budget=100, k=1, ignore_len=1) == Cut(6, False, 1)  # 5 thinking + "Wait"
    assert stop_cut([5, 12, 30], budget=100, k=2, ignore_len=1) == Cut(13, False, 2)
    assert stop_cut([5, 12, 30], budget=8, k=2, ignore_len=1) == Cut(8, False, 1)  # no second ignore fits

    script, w = stop_every(tok, 4)
    engine = ScriptedEngine(tok, script, w)
    results = sweep(engine, ["q?"], [100], [0, 1], Forcing(max_answer=4, ignore_str="Wait"), stop_after=[1, 2])
    (plain,), (once,), (control1,), (control2,) = (
        results[k] for k in [(100, 0), (100, 1), ("stop after", 1), ("stop after", 2)]
    )
    assert plain.text == "<|im_start|>think" + "ab" * 4 + "<|im_start|>answer7"
    assert once.text == "<|im_start|>think" + "ab" * 4 + "Wait" + "ab" * 4 + "<|im_start|>answer7"
    assert control1.text == "<|im_start|>think" + "ab" * 4 + "Wait\n<|im_start|>answer\nFinal Answer:7"
    assert (
        control2.text
        == "<|im_start|>think" + "ab" * 4 + "Wait" + "ab" * 4 + "Wait\n<|im_start|>answer\nFinal Answer:7"
    )
    assert (control1.n_ignored, control1.forced_end, control1.thinking_tokens) == (1, True, 5)


@pytest.mark.parametrize("budget", [3, 5, 9, 100])  # cut before any end / no room for a string / room for one / all
def test_string_sweep_resumes_every_string_where_the_first_run_tried_to_end(tok, budget):
    from dataclasses import replace

    from s1lib.infer.sweep import string_sweep

    script, w = stop_every(tok, 4)
    base = Forcing(max_thinking=budget, max_answer=4)
    engine = ScriptedEngine(tok, script, w)
    results = string_sweep(engine, ["q?", "r?"], ["Wait", ""], 2, base)
    for text, gens in results.items():
        setting = replace(base, ignore=0) if text is None else replace(base, ignore=2, ignore_str=text)
        alone, _ = run(tok, setting, script, w, questions=("q?", "r?"))
        assert [g.to_dict() for g in gens] == [g.to_dict() for g in alone], text
    if budget == 100:
        assert (
            results["Wait"][0].text == "<|im_start|>think" + ("ab" * 4 + "Wait") * 2 + "ab" * 4 + "<|im_start|>answer7"
        )
        assert results[None][0].text == "<|im_start|>think" + "ab" * 4 + "<|im_start|>answer7"


def test_rows_that_extend_one_another_share_one_prefilled_anchor():
    from s1lib.infer.hf import MAX_UNSHARED, share_prefixes

    long_run = list(range(100, 200))
    early_cut = long_run[:40] + [7, 8, 9]  # an answer branch cut at 40 ids, with its own forced suffix
    own_question = long_run[:20] + [1] * (MAX_UNSHARED + 2)  # a shared system prompt, too much of its own to feed
    short_question = long_run[:20] + [2] * MAX_UNSHARED
    anchors, shared = share_prefixes([early_cut, long_run, own_question, short_question])
    assert anchors == [1, 2]  # longest first: the long run anchors its branch
    assert shared[0] == (0, 40) and shared[1] == (0, 99)  # every row keeps its last id to feed
    assert shared[2] == (1, 20 + MAX_UNSHARED + 1)
    assert shared[3] == (0, 20)  # the common system prompt is copied; its own 31 ids are fed


def test_auto_budget_is_never_negative(tok):
    """A prompt that fills max_generation leaves no thinking: the end is forced at once (a validated Forcing
    refuses negative budgets)."""
    f = Forcing(max_generation=128)
    vocab = Vocab.build(tok, f)
    assert auto_budget(f, vocab, [500]) == 0
