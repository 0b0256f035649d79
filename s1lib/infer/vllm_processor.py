"""Budget forcing as a vLLM V1 logits processor: one request per question, steered token by token by the state
machine (`stream.Stream` over `forcing.Sample`).

Load it with `LLM(logits_processors=[BudgetForcingProcessor])` or `--logits-processors
s1lib.infer.vllm_processor:BudgetForcingProcessor` on the server. A request opts in by naming any `Forcing` setting
in `SamplingParams.extra_args` (`vllm_xargs` over HTTP); other requests pass through untouched. Bad settings fail
`validate_params`, which the server answers with HTTP 400.

Sampling: greedy requests end their thinking where a stop token wins the argmax. Sampled requests draw the end
against the stops' total probability at the request's temperature (its own generator, seeded by the request's
seed), then sample among the other tokens; that is exact without top-p, top-k or min-p, which would truncate the
stops' share before vLLM samples and are not modelled in the draw.
"""

from __future__ import annotations

import functools
import itertools
import logging

import torch
from vllm.v1.sample.logits_processor import BatchUpdate, LogitsProcessor
from vllm.v1.sample.logits_processor.builtin import process_dict_updates

from s1lib.infer.forcing import Forcing, Phase, Vocab
from s1lib.infer.stream import ForcingError, Stream, forcing_from_args, replay, stream_for, streamable

GREEDY = 1e-5  # vLLM samples greedily below this temperature
logger = logging.getLogger(__name__)


@functools.cache
def _tokenizer(path: str, revision: str | None):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(path, revision=revision)


class Row:
    """One running request: its stream, the engine's live list of its output ids, and how many were read."""

    def __init__(self, stream: Stream, output: list[int], temperature: float, seed: int | None, stops: torch.Tensor):
        self.stream, self.output, self.read = stream, output, 0
        self.stops = stops  # the thinking stop ids, looked up once per request rather than every step
        self.temperature = temperature
        self.generator = None
        if temperature >= GREEDY:
            self.generator = torch.Generator()
            self.generator.manual_seed(seed if seed is not None else int(torch.randint(2**62, (1,))))
        if output:  # a preempted request coming back: read what it already emitted
            emitted = list(itertools.takewhile(lambda t: t >= 0, output))
            replay(stream, emitted)
            self.read = len(emitted)

    def catch_up(self) -> None:
        """Observe the ids emitted since the last call. Under async scheduling (GPUs) the newest id is a -1
        placeholder until just before `apply`, so reading stops there and resumes on the next call."""
        for token in self.output[self.read :]:
            if token < 0:
                break
            self.stream.observe(token)
            self.read += 1


class BudgetForcingProcessor(LogitsProcessor):
    @classmethod
    def validate_params(cls, params) -> None:
        forcing_from_args(params.extra_args)

    def __init__(self, vllm_config, device: torch.device, is_pin_memory: bool):
        config = vllm_config.model_config
        self.tokenizer = _tokenizer(config.tokenizer, config.tokenizer_revision)
        self.end_id = self.tokenizer.eos_token_id
        self.device = device
        self.rows: dict[int, Row] = {}
        self._vocabs: dict[Forcing, tuple[Vocab, torch.Tensor]] = {}
        if not streamable(Forcing(), self.vocab(Forcing())[0]):
            raise ForcingError(f"{config.tokenizer}: the thinking stops {Forcing().stops} are not single tokens in "
                               "this tokenizer, so the processor cannot decide them; use the resubmission driver")

    def is_argmax_invariant(self) -> bool:
        return False

    def vocab(self, forcing: Forcing) -> tuple[Vocab, torch.Tensor]:
        if forcing not in self._vocabs:
            vocab = Vocab.build(self.tokenizer, forcing)
            self._vocabs[forcing] = vocab, torch.tensor(sorted(vocab.stop_ids), device=self.device)
        return self._vocabs[forcing]

    def _new_row(self, params, prompt: list[int] | None, output: list[int]) -> Row | None:
        forcing = forcing_from_args(params.extra_args)
        if forcing is None or prompt is None:
            return None
        vocab, stops = self.vocab(forcing)
        return Row(stream_for(list(prompt), forcing, vocab), output, params.temperature, params.seed, stops)

    def update_state(self, batch_update: BatchUpdate | None) -> None:
        process_dict_updates(self.rows, batch_update, self._new_row)
        self._catch_up()

    def _catch_up(self) -> None:
        """Read every row's new ids. A row whose ids contradict its forcing (another processor or a grammar
        overrode a forced id) is let go with a warning: one bad request must not take the engine down."""
        for index, row in list(self.rows.items()):
            try:
                row.catch_up()
            except ForcingError as err:
                logger.warning("budget forcing dropped for a request: %s", err)
                del self.rows[index]

    def apply(self, logits: torch.Tensor) -> torch.Tensor:
        if not self.rows:
            return logits
        self._catch_up()
        forced: list[tuple[int, int]] = []
        decide: list[int] = []
        for index, row in self.rows.items():
            target = row.stream.forced()
            if target is None and row.stream.sample.done:
                target = self.end_id
            if target is not None:
                forced.append((index, target))
            elif row.stream.decides_stop:
                decide.append(index)
            elif row.stream.masks_stops:
                self._mask_stops(logits, index)
        for index in decide:
            row = self.rows[index]
            if self._stops_here(logits[index], row):
                row.stream.stop()
                target = row.stream.forced()
                if target is not None:
                    forced.append((index, target))
                    continue
            self._mask_stops(logits, index)
        if forced:
            rows, ids = zip(*forced)
            rows_t = torch.tensor(rows, device=logits.device)
            logits[rows_t] = float("-inf")
            logits[rows_t, torch.tensor(ids, device=logits.device)] = 0.0
        for index, row in self.rows.items():
            if row.stream.sample.phase is Phase.ANSWER and logits.shape[-1] > row.stream.sample.vocab.size:
                logits[index, row.stream.sample.vocab.size :] = float("-inf")  # ids past the tokenizer
        return logits

    def _stops_here(self, row_logits: torch.Tensor, row: Row) -> bool:
        size = row.stream.sample.vocab.size
        stops = row.stops
        if row.generator is None:
            top = int(row_logits.argmax())
            return top >= size or bool((stops == top).any())
        probs = torch.softmax(row_logits.float() / row.temperature, dim=-1)
        p_stop = float(probs[stops].sum() + probs[size:].sum())
        return float(torch.rand((), generator=row.generator)) < p_stop

    def _mask_stops(self, logits: torch.Tensor, index: int) -> None:
        row = self.rows[index]
        logits[index, row.stops] = float("-inf")
        logits[index, row.stream.sample.vocab.size :] = float("-inf")
