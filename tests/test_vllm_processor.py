"""The logits processor object itself, driven like vLLM drives it (batch updates, live output lists, logits in,
argmax out) by a scripted model: no engine, so every setting runs in milliseconds."""

import itertools
from dataclasses import replace

import numpy as np
from types import SimpleNamespace

import pytest

pytest.importorskip("vllm")
import torch  # noqa: E402
from vllm.v1.sample.logits_processor import BatchUpdate  # noqa: E402

from s1lib.format import encode  # noqa: E402
from s1lib.infer import generate, prompt_ids  # noqa: E402
from s1lib.infer.generate import SEED_STRIDE  # noqa: E402
from s1lib.infer.stream import request_args  # noqa: E402
from s1lib.infer.vllm_processor import BudgetForcingProcessor  # noqa: E402
from s1lib.models import resolve_model  # noqa: E402

from fakes import ScriptedEngine  # noqa: E402
from grids import grid_forcing


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
    config = SimpleNamespace(
        model_config=SimpleNamespace(tokenizer=resolve_model("smollm2-135m"), tokenizer_revision=None)
    )
    return lambda: BudgetForcingProcessor(config, torch.device("cpu"), False)


def drive(processor, tok, prompts, forcing, script, filler):
    """Decode `prompts` together, greedily: the script's token gets logit 10, the filler 5, everything else 0."""
    think = encode(tok, "<|im_start|>think")
    outputs = [[] for _ in prompts]
    params = [  # each request seeded as `generate` seeds its samples (AlphaOne's draws use it)
        SimpleNamespace(extra_args=request_args(forcing), temperature=0.0, seed=forcing.seed + i * SEED_STRIDE)
        for i in range(len(prompts))
    ]
    processor.update_state(
        BatchUpdate(
            batch_size=len(prompts),
            removed=[],
            moved=[],
            added=[(i, params[i], p + think, outputs[i]) for i, p in enumerate(prompts)],
        )
    )
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


@pytest.mark.parametrize(
    "budget, ignore, ignore_str, minimum",
    list(itertools.product([5, 20, 60], [0, 1, 3], ["Wait", "Alternatively", ""], [0, 9])),
)
def test_the_processor_steers_like_resubmission(
    smol_tokenizer, processor_factory, budget, ignore, ignore_str, minimum
):
    tok = smol_tokenizer
    if minimum > budget:
        pytest.skip("min above max is refused")
    forcing = grid_forcing(budget, ignore, ignore_str, minimum)
    script, filler = model_like_script(tok)
    questions = ["q?", "a longer question?"]
    reference = generate(ScriptedEngine(tok, script, filler), questions, forcing, progress=False)
    think = len(encode(tok, "<|im_start|>think"))
    emitted = drive(processor_factory(), tok, prompt_ids(tok, questions), forcing, script, filler)
    assert emitted == [g.token_ids[think:] for g in reference]


def methods_script(tok):
    """Like `model_like_script`, and it writes a paragraph break at every 5th position, so AlphaOne has breaks to
    insert at, and "Hmm" at every 13th, so NoWait has a second word to mask."""
    script, filler = model_like_script(tok)
    breaks, hmm = encode(tok, "\n\n")[0], encode(tok, " Hmm")[0]

    def with_breaks(sample, n, seed):
        token = script(sample, n, seed)
        if sample.phase == "answer" or token != filler:
            return token
        return breaks if n % 5 == 0 else (hmm if n % 13 == 0 else filler)

    return with_breaks, filler


METHODS = {
    "native cap": dict(end_message="Considering the limited time, I answer now."),
    "native cap, no Final Answer": dict(end_message="Time is up.", forced_answer=""),
    "NoWait": dict(suppress=("Wait", "Hmm")),
    "NoWait with forced Waits": dict(suppress=("Wait", "Hmm"), ignore=2),
    "AlphaOne linear": dict(alpha=1.4, alpha_reference=20, alpha_p=0.8),
    "AlphaOne constant": dict(alpha=0.5, alpha_reference=30, alpha_p=1.0, alpha_schedule="constant"),
    "AlphaOne and NoWait": dict(alpha=1.0, alpha_reference=25, alpha_p=0.6, suppress=("Hmm",)),
}


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("budget", [6, 30, 60])
def test_the_processor_runs_every_method_like_resubmission(smol_tokenizer, processor_factory, method, budget):
    tok = smol_tokenizer
    forcing = replace(grid_forcing(budget, 0, "Wait", 0), **METHODS[method])
    script, filler = methods_script(tok)
    questions = ["q?", "a longer question?", "a third, longer question?"]
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


# --- the V2 model runner (GPUs): the same processor, announced by slot, reading ids from the runner's buffers ---

V2 = pytest.importorskip("vllm.v1.worker.gpu.sample.logits_processor")


def id_script(tok, prompt_lens, wait_every: int = 11, break_every: int = 0):
    """A scripted model that sees only the sequence (as a model does): in the answer, "7" then the end; in thinking,
    a stop at every 7th position, "Wait" at every `wait_every`th (0: never), a paragraph break at every
    `break_every`th (0: never), else filler."""
    w, wait, paragraph = encode(tok, " ab")[0], encode(tok, "Wait")[0], encode(tok, "\n\n")[0]
    im_start, im_end, seven = encode(tok, "<|im_start|>")[0], encode(tok, "<|im_end|>")[0], encode(tok, "7")[0]
    answer = encode(tok, "<|im_start|>answer")

    def next_id(seq: list[int]) -> int:
        tail = seq[min(prompt_lens) :]
        starts = [i for i in range(len(tail)) if tail[i : i + len(answer)] == answer]
        if starts:
            return im_end if seven in tail[starts[-1] :] else seven
        n = len(seq)
        if n % 7 == 0:
            return im_start
        if wait_every and n % wait_every == 0:
            return wait
        return paragraph if break_every and n % break_every == 0 else w

    return next_id, w


class V2Runner:
    """Drives a processor as vLLM's V2 runner does: requests live in recycled slots; `add_request` carries no ids;
    each step's batch comes in a new order; the step's input ids are the newest ids, while the token buffer is
    written one step late (positions not yet written hold -1); a prefill chunk's row is sampled and discarded."""

    def __init__(self, tok, slots: int = 6, width: int = 400):
        self.tok = tok
        self.buffer = torch.full((slots, width), -1, dtype=torch.long)
        self.prompt_len, self.prefill_len = np.zeros(slots, dtype=np.int64), np.zeros(slots, dtype=np.int64)
        self.free = list(range(slots))
        self.state = V2.LogitsProcRequestState(
            device=torch.device("cpu"),
            max_num_reqs=slots,
            vocab_size=len(tok),
            all_token_ids=SimpleNamespace(gpu=self.buffer),
            prompt_len=SimpleNamespace(np=self.prompt_len),
            prefill_len=SimpleNamespace(np=self.prefill_len),
            total_len=SimpleNamespace(gpu=None),
        )
        config = SimpleNamespace(
            model_config=SimpleNamespace(tokenizer=resolve_model("smollm2-135m"), tokenizer_revision=None),
            speculative_config=None,
        )
        self.processor = BudgetForcingProcessor(config, self.state)
        self.requests: dict[int, dict] = {}  # slot -> {"seq", "prompt_len", "params", "chunked", "written"}

    def admit(self, seq: list[int], prompt_len: int, params, chunked: bool = False) -> int:
        slot = self.free.pop()
        self.buffer[slot] = -1
        self.buffer[slot, : len(seq)] = torch.tensor(seq)
        self.prompt_len[slot], self.prefill_len[slot] = prompt_len, len(seq)
        self.requests[slot] = {
            "seq": list(seq),
            "prompt_len": prompt_len,
            "params": params,
            "chunked": chunked,
            "written": len(seq),
        }
        self.processor.add_request(slot, params)
        return slot

    def evict(self, slot: int) -> dict:
        self.free.append(slot)
        return self.requests.pop(slot)

    def step(self, next_id, flip: bool) -> dict[int, int]:
        slots = sorted(self.requests, reverse=flip)
        seq_lens = []
        for slot in slots:
            r = self.requests[slot]
            seq_lens.append(len(r["seq"]) - 2 if r["chunked"] else len(r["seq"]))
            self.buffer[slot, r["written"] : len(r["seq"]) - 1] = torch.tensor(
                r["seq"][r["written"] : -1], dtype=torch.long
            )
            r["written"] = max(r["written"], len(r["seq"]) - 1)  # the newest id reaches the buffer a step late
        logits = torch.zeros(len(slots), len(self.tok))
        for i, slot in enumerate(slots):
            seq = self.requests[slot]["seq"][: seq_lens[i]]
            logits[i, next_id.filler] = 5
            logits[i, next_id(seq)] = 10
        ctx = V2.LogitsContext(
            expanded_idx_mapping=torch.tensor(slots),
            idx_mapping=torch.tensor(slots),
            idx_mapping_np=np.array(slots),
            expanded_local_pos=torch.zeros(len(slots), dtype=torch.long),
            input_ids=torch.tensor([self.requests[s]["seq"][n - 1] for s, n in zip(slots, seq_lens)]),
            pos=torch.tensor(seq_lens) - 1,
            seq_lens_upper_bound_np=np.array(seq_lens),
        )
        chosen = self.processor.apply(logits, ctx).argmax(-1).tolist()
        emitted = {}
        for slot, token in zip(slots, chosen):
            r = self.requests[slot]
            if r["chunked"]:
                r["chunked"] = False  # the chunk's sample is discarded; the next step sees the whole prefill
                continue
            r["seq"].append(token)
            emitted[slot] = token
        return emitted


def run_v2(tok, prompts, forcing, *, preempt_at: int | None = None, plain_first: bool = False, break_every: int = 0):
    """Decode `prompts` on a `V2Runner`; returns each forcing request's output ids and a plain request's."""
    think = encode(tok, "<|im_start|>think")
    plain_prompt = prompt_ids(tok, ["plain?"])[0]
    # Ids carry no stop events, so a request that comes back from a preemption infers its ignores from them, and a
    # "Wait" the model wrote itself while an ignore was due counts as that ignore (stream.replay): the model in the
    # preemption cases writes none.
    next_id, filler = id_script(
        tok,
        [len(p) + len(think) for p in [*prompts, plain_prompt]],
        wait_every=0 if preempt_at is not None else 11,
        break_every=break_every,
    )
    next_id.filler = filler
    runner = V2Runner(tok)
    forced = [
        SimpleNamespace(extra_args=request_args(forcing), temperature=0.0, seed=forcing.seed + i * SEED_STRIDE)
        for i in range(len(prompts))
    ]
    plain = SimpleNamespace(extra_args=None, temperature=0.0, seed=None)
    ends = {tok.eos_token_id, *encode(tok, "<|im_end|>")}
    plain_ends = {*ends, *encode(tok, "<|im_start|>")}  # the plain request stops at its stop id, as vLLM's would
    if plain_first:  # a plain request that finishes at once, so a forcing request later takes its recycled slot
        runner.evict(runner.admit(plain_prompt + think, len(plain_prompt), plain))
    owner = {runner.admit(p + think, len(p), forced[i], chunked=(i == 0)): i for i, p in enumerate(prompts)}
    owner[runner.admit(plain_prompt + think, len(plain_prompt), plain)] = "plain"
    outputs: dict = {}
    for step in range(2000):
        if step == preempt_at and 0 in owner.values():  # the first request is preempted, then comes back in
            slot = next(s for s, o in owner.items() if o == 0)  # another slot with its output
            r = runner.evict(slot)
            owner[runner.admit(r["seq"], r["prompt_len"], r["params"], chunked=True)] = owner.pop(slot)
        for slot, token in runner.step(next_id, flip=step % 2 == 1).items():
            if token in (plain_ends if owner[slot] == "plain" else ends):
                r, who = runner.evict(slot), owner.pop(slot)
                outputs[who] = r["seq"][r["prompt_len"] + len(think) : -1]
        if not runner.requests:
            return outputs, next_id, think
    raise AssertionError(f"requests still running after 2000 steps: {sorted(map(str, owner.values()))}")


@pytest.mark.parametrize(
    "budget, ignore, ignore_str, minimum",
    [
        (5, 0, "Wait", 0),
        (20, 1, "Wait", 9),
        (60, 3, "Wait", 0),
        (60, 3, "Alternatively", 9),
        (20, 3, "", 0),
        (60, 1, "", 9),
    ],
)
@pytest.mark.parametrize("preempt_at, plain_first", [(None, False), (3, True), (7, False)])
def test_the_v2_runner_steers_like_resubmission(
    smol_tokenizer, budget, ignore, ignore_str, minimum, preempt_at, plain_first
):
    tok = smol_tokenizer
    forcing = grid_forcing(budget, ignore, ignore_str, minimum)
    questions = ["q?", "a longer question?"]
    outputs, next_id, think = run_v2(
        tok, prompt_ids(tok, questions), forcing, preempt_at=preempt_at, plain_first=plain_first
    )
    reference = generate(
        ScriptedEngine(tok, lambda s, n, seed: next_id(s.ids), next_id.filler), questions, forcing, progress=False
    )
    assert [outputs[0], outputs[1]] == [g.token_ids[len(think) :] for g in reference]
    plain = outputs["plain"]  # never steered: it thinks until the script's first stop, at a multiple of 7
    plain_start = len(prompt_ids(tok, ["plain?"])[0]) + len(think)
    assert (plain_start + len(plain)) % 7 == 0 and len(plain) <= 7


@pytest.mark.parametrize("method", METHODS)
def test_the_v2_runner_runs_every_method_like_resubmission(smol_tokenizer, method):
    tok = smol_tokenizer
    forcing = replace(grid_forcing(30, 0, "Wait", 0), **METHODS[method])
    questions = ["q?", "a longer question?"]
    outputs, next_id, think = run_v2(tok, prompt_ids(tok, questions), forcing, break_every=5)
    reference = generate(
        ScriptedEngine(tok, lambda s, n, seed: next_id(s.ids), next_id.filler), questions, forcing, progress=False
    )
    assert [outputs[0], outputs[1]] == [g.token_ids[len(think) :] for g in reference]


def test_vllm_loads_the_processor_under_both_runners(smol_tokenizer):
    """vLLM's own loaders accept the class by name (each checks its runner's interface), and its V2 admission check
    turns bad settings into a validation error naming the setting."""
    from vllm.exceptions import VLLMValidationError
    from vllm.v1.sample.logits_processor import _load_logitsprocs_by_fqcns
    from vllm.v1.worker.gpu.sample.logits_processor import build_custom_logits_processors_params_validator

    name = "s1lib.infer.vllm_processor:BudgetForcingProcessor"
    assert _load_logitsprocs_by_fqcns([name]) == [BudgetForcingProcessor]
    validate = build_custom_logits_processors_params_validator([name])
    validate(SimpleNamespace(extra_args={"max_thinking": 64}))
    with pytest.raises(VLLMValidationError, match="max_thinking"):
        validate(SimpleNamespace(extra_args={"max_thinking": -3}))


def test_the_v2_runner_refuses_speculative_decoding(smol_tokenizer):
    config = SimpleNamespace(
        model_config=SimpleNamespace(tokenizer=resolve_model("smollm2-135m"), tokenizer_revision=None),
        speculative_config=object(),
    )
    with pytest.raises(ValueError, match="speculative decoding"):
        BudgetForcingProcessor(config, V2Runner(smol_tokenizer).state)


# --- the engine loads the processor only where it can run, and says so when it cannot ---


class RecordingLLM:
    """Stands in for `vllm.LLM`: records the processors it was given, starts nothing."""

    def __init__(self, model, tokenizer, logits_processors, **kwargs):
        from s1lib.models import load_tokenizer

        self.logits_processors = logits_processors
        self.llm_engine = SimpleNamespace(
            model_config=SimpleNamespace(max_model_len=2048), vllm_config=SimpleNamespace(use_v2_model_runner=False)
        )
        self._tokenizer = load_tokenizer("smollm2-135m")

    def get_tokenizer(self):
        return self._tokenizer


@pytest.fixture
def recording_llm(monkeypatch):
    import vllm

    monkeypatch.setattr(vllm, "LLM", RecordingLLM)


def make_engine(**kwargs):
    from s1lib.infer.vllm_engine import VLLMEngine

    return VLLMEngine(resolve_model("smollm2-135m"), **kwargs)


def test_the_engine_loads_the_processor_where_it_runs(recording_llm, recwarn):
    engine = make_engine()
    assert engine.llm.logits_processors == [BudgetForcingProcessor] and engine.has_processor
    assert engine.runner == "V1" and not [w for w in recwarn if "resubmission" in str(w.message)]


@pytest.mark.parametrize("breakage, reason", [("version", r"vLLM 0\.40\.0 is outside"), ("import", "does not load")])
def test_the_engine_falls_back_to_resubmission_with_one_warning(recording_llm, monkeypatch, breakage, reason):
    import sys

    import vllm

    if breakage == "version":
        monkeypatch.setattr(vllm, "__version__", "0.40.0")
    else:  # a vLLM without either processor interface: importing the processor fails
        monkeypatch.setitem(sys.modules, "s1lib.infer.vllm_processor", None)
    with pytest.warns(UserWarning, match=f"budget forcing runs by resubmission.*{reason}") as caught:
        engine = make_engine()
    assert len([w for w in caught if "resubmission" in str(w.message)]) == 1
    assert engine.llm.logits_processors == [] and engine.driver == "resubmit" and not engine.has_processor


def test_the_resubmission_driver_asks_for_no_processor(recording_llm, recwarn):
    engine = make_engine(driver="resubmit")
    assert engine.llm.logits_processors == [] and not [w for w in recwarn if "resubmission" in str(w.message)]
