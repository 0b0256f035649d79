"""The logits processor's per-request logic (`stream.py`) without vLLM: a scripted engine that emits every token
itself, as a processor-steered request does, must give the resubmission driver's ids, and reading the emitted ids
back (`replay`) must recover the sample."""

import itertools

import pytest
from pydantic import ValidationError

from s1lib.format import encode
from s1lib.infer import Forcing, generate
from s1lib.infer.forcing import Sample, Vocab
from s1lib.infer.generate import prompt_ids, resolve_budget
from s1lib.infer.stream import ForcingError, Stream, forcing_from_args, replay, request_args

from fakes import ScriptedEngine
from grids import grid_forcing


def script_for(tok):
    """Thinking: a few words, then `<|im_start|>` every 7th segment token (and "Wait" now and then, as a model
    might write it itself); answer: "7" then the end."""
    w, wait = encode(tok, " ab")[0], encode(tok, "Wait")[0]
    im_start, im_end, seven = encode(tok, "<|im_start|>")[0], encode(tok, "<|im_end|>")[0], encode(tok, "7")[0]

    def script(sample, n, seed):
        if sample.phase == "answer":
            return seven if sample.answer_tokens == 0 else im_end
        k = sample.segment_tokens
        return im_start if k and k % 7 == 0 else (wait if n % 11 == 0 else w)

    return script, w


def emit(tok, sample: Sample, script, filler) -> list[int]:
    """What a processor-steered request emits for `sample`: forced ids, stop decisions, free tokens."""
    stream, out = Stream(sample), []
    while not sample.done:
        token = stream.forced()
        if token is None:
            token = script(sample, len(sample.ids), 0)
            if token in sample.stop_ids and sample.phase.value == "think":
                if stream.decides_stop:
                    stream.stop()
                    continue
                token = filler
        out.append(token)
        stream.observe(token)
    return out


@pytest.mark.parametrize(
    "budget, ignore, ignore_str, minimum",
    list(itertools.product([5, 20, 60, None], [0, 1, 3], ["Wait", "Alternatively", ""], [0, 9])),
)
def test_emitting_every_token_matches_resubmission(smol_tokenizer, budget, ignore, ignore_str, minimum):
    tok = smol_tokenizer
    if budget is not None and minimum > budget:
        pytest.skip("min above max is refused")
    forcing = grid_forcing(budget, ignore, ignore_str, minimum)
    script, filler = script_for(tok)
    reference = generate(ScriptedEngine(tok, script, filler), ["q?"], forcing, progress=False)[0]
    vocab = Vocab.build(tok, forcing)
    prompt = prompt_ids(tok, ["q?"])
    cap = resolve_budget(forcing, vocab, [len(p) for p in prompt])
    live = Sample(prompt[0], forcing, vocab, cap)
    emitted = emit(tok, live, script, filler)
    got = live.result(tok)
    assert got.token_ids == reference.token_ids
    assert (got.n_ignored, got.thinking_tokens, got.forced_end) == (
        reference.n_ignored,
        reference.thinking_tokens,
        reference.forced_end,
    )
    read_back = Sample(prompt[0], forcing, vocab, cap)
    replay(Stream(read_back), emitted)
    again = read_back.result(tok)
    assert read_back.done and again.token_ids == reference.token_ids
    assert (again.thinking_tokens, again.forced_end) == (reference.thinking_tokens, reference.forced_end)
    assert again.n_ignored >= reference.n_ignored or (not ignore_str and reference.forced_end)


def test_settings_round_trip_and_refusals():
    forcing = Forcing(max_thinking=None, ignore=2, ignore_str="Hmm", max_answer=12)
    assert forcing_from_args(request_args(forcing)) == forcing
    assert forcing_from_args(request_args(forcing, budget=40)).max_thinking == 40
    assert forcing_from_args({"max_thinking": "auto"}).max_thinking == "auto"
    assert forcing_from_args(None) is None and forcing_from_args({"other_processor": 1}) is None
    for bad, named in [
        ({"max_thinkng": 3}, "max_thinking"),
        ({"ignore": 1, "colour": 2}, "colour"),
        ({"max_thinking": -1}, "max_thinking"),
        ({"min_thinking": 9, "max_thinking": 3}, "min_thinking"),
        ({"max_thinking": True}, "max_thinking.*boolean"),
        ({"ignore": False}, "ignore.*boolean"),
        ({"max_thinking": 64, "max_answer": True}, "max_answer.*boolean"),
    ]:
        with pytest.raises(ForcingError, match=named):
            forcing_from_args(bad)
    with pytest.raises(ValidationError, match="boolean"):
        Forcing(temperature=True)
