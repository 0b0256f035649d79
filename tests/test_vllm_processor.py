"""The logits processor object itself, driven like vLLM drives it (batch updates, live output lists, logits in,
argmax out) by a scripted model: no engine, so every setting runs in milliseconds."""

import itertools
from types import SimpleNamespace

import pytest

pytest.importorskip("vllm")
import torch  # noqa: E402
from vllm.v1.sample.logits_processor import BatchUpdate  # noqa: E402

from s1lib.format import encode  # noqa: E402
from s1lib.infer import Forcing, generate, prompt_ids  # noqa: E402
from s1lib.infer.stream import request_args  # noqa: E402
from s1lib.infer.vllm_processor import BudgetForcingProcessor  # noqa: E402
from s1lib.models import resolve_model  # noqa: E402

from fakes import ScriptedEngine  # noqa: E402


def model_like_script(tok):
    """A scripted model that, like a real one, sees only the ids: thinking wants to stop at every 7th position and
    writes "Wait" itself at every 11th; the answer is "7" then the end."""
    w, wait = encode(tok, " ab")[0], encode(tok, "Wait")[0]
    im_start, im_end, seven = encode(tok, "<|im_start|>")[0], encode(tok, "<|im_end|>")[0], encode(tok, "7")[0]

    def script(sample, n, seed):
        if sample.phase == "answer":
            return seven if sample.answer_tokens == 0 else im_end
        return im_start if n % 7 == 0 else (wait if n % 11 == 0 else w)

    return script, w


@pytest.fixture(scope="module")
def processor_factory():
    config = SimpleNamespace(model_config=SimpleNamespace(tokenizer=resolve_model("smollm2-135m"),
                                                          tokenizer_revision=None))
    return lambda: BudgetForcingProcessor(config, torch.device("cpu"), False)


def drive(processor, tok, prompts, forcing, script, filler):
    """Decode `prompts` together, greedily: the script's token gets logit 10, the filler 5, everything else 0."""
    think = encode(tok, "<|im_start|>think")
    outputs = [[] for _ in prompts]
    params = SimpleNamespace(extra_args=request_args(forcing), temperature=0.0, seed=None)
    processor.update_state(BatchUpdate(batch_size=len(prompts), removed=[], moved=[],
                                       added=[(i, params, p + think, outputs[i]) for i, p in enumerate(prompts)]))
    running = set(range(len(prompts)))
    while running:
        logits = torch.zeros(len(prompts), len(tok))
        for i in running:
            sample = processor.rows[i].stream.sample
            logits[i, filler] = 5
            logits[i, script(sample, len(sample.ids), 0)] = 10
        chosen = processor.apply(logits).argmax(-1).tolist()
        for i in list(running):
            outputs[i].append(chosen[i])
            if chosen[i] in (tok.eos_token_id, *encode(tok, "<|im_end|>")):
                running.discard(i)
        processor.update_state(None)
    return [o[:-1] for o in outputs]  # the end id


@pytest.mark.parametrize("budget, ignore, ignore_str, minimum",
                         list(itertools.product([5, 20, 60], [0, 1, 3], ["Wait", "Alternatively", ""], [0, 9])))
def test_the_processor_steers_like_resubmission(smol_tokenizer, processor_factory, budget, ignore, ignore_str,
                                                minimum):
    tok = smol_tokenizer
    if minimum > budget:
        pytest.skip("min above max is refused")
    forcing = Forcing(max_thinking=budget, ignore=ignore, ignore_str=ignore_str, min_thinking=minimum,
                      max_generation=80, max_answer=4)
    script, filler = model_like_script(tok)
    questions = ["q?", "a longer question?"]
    reference = generate(ScriptedEngine(tok, script, filler), questions, forcing, progress=False)
    think = len(encode(tok, "<|im_start|>think"))
    emitted = drive(processor_factory(), tok, prompt_ids(tok, questions), forcing, script, filler)
    assert emitted == [g.token_ids[think:] for g in reference]


def test_a_request_whose_ids_contradict_its_forcing_is_let_go(smol_tokenizer, processor_factory):
    tok = smol_tokenizer
    processor = processor_factory()
    output: list[int] = []
    params = SimpleNamespace(extra_args={"max_thinking": 0}, temperature=0.0, seed=None)  # the end is forced at once
    prompt = prompt_ids(tok, ["q?"])[0]
    processor.update_state(BatchUpdate(batch_size=1, removed=[], moved=[], added=[(0, params, prompt, output)]))
    forced = processor.rows[0].stream.forced()
    output.append(forced + 1)  # something else overrode the forced id
    processor.update_state(None)
    assert processor.rows == {}
    assert processor.apply(torch.zeros(1, len(tok))).isfinite().all()  # the request now runs unforced
