"""Budget forcing as a vLLM logits processor: one request per question, steered token by token by the state
machine (`stream.Stream` over `forcing.Sample`), under either of vLLM's model runners.

vLLM has two runners with two processor interfaces. The V1 runner (CPUs; GPUs where vLLM <= 0.33 does not pick V2)
builds a processor as `cls(config, device, is_pin_memory)`, announces requests in batch updates with their live
output lists and calls `apply(logits)`. The V2 runner (GPUs from vLLM 0.32 on, the only runner from 0.34) builds it as
`cls(config, req_states)`, announces a request by slot with `add_request` (no token ids: those live in the runner's
device buffers) and calls `apply(logits, ctx)` with the step's layout; its loader refuses a class that does not
subclass the V2 interface. `BudgetForcingProcessor` subclasses every interface the installed vLLM has, so the same
name loads under whichever runner vLLM picks; `V1Steering` and `V2Steering` read the runner's bookkeeping, and
`Steering.steer` decides every row the same way.

Load it with `LLM(logits_processors=[BudgetForcingProcessor])` or `--logits-processors
s1lib.infer.vllm_processor:BudgetForcingProcessor` on the server. A request opts in by naming any `Forcing` setting
in `SamplingParams.extra_args` (`vllm_xargs` over HTTP); other requests pass through untouched. Bad settings fail
`validate_params`, which the server answers with HTTP 400, as it does budget forcing asked for together with
structured output (a grammar would refuse the forced text).

Sampling: greedy requests end their thinking where a stop token wins the argmax. Sampled requests draw the end
against the stops' total probability at the request's temperature (its own generator, seeded by the request's
seed), then sample among the other tokens; that is exact without top-p, top-k or min-p, which would truncate the
stops' share before vLLM samples and are not modelled in the draw.
"""

from __future__ import annotations

import functools
import itertools
import logging
from typing import NamedTuple

import torch

from s1lib.infer.forcing import Forcing, Phase, Vocab
from s1lib.infer.stream import ForcingError, Stream, forcing_from_args, replay, stream_for, streamable

try:  # the V1 runner's interface (gone from vLLM 0.34)
    from vllm.v1.sample.logits_processor import BatchUpdate, LogitsProcessor as V1Interface
    from vllm.v1.sample.logits_processor.builtin import process_dict_updates
except ImportError:
    V1Interface = None
try:  # the V2 runner's interface (vLLM 0.32 on)
    from vllm.v1.worker.gpu.sample.logits_processor import LogitsProcessor as V2Interface
except ImportError:
    V2Interface = None

INTERFACES = tuple(i for i in (V1Interface, V2Interface) if i is not None)
if not INTERFACES:
    raise ImportError(
        "this vLLM offers neither logits-processor interface the budget-forcing processor implements "
        "(vllm.v1.sample.logits_processor, vllm.v1.worker.gpu.sample.logits_processor)"
    )

GREEDY = 1e-5  # vLLM samples greedily below this temperature
logger = logging.getLogger(__name__)


class Ids(NamedTuple):
    stops: torch.Tensor  # thinking stops
    fast_stops: torch.Tensor  # and, past the AlphaOne moment, the tokens that write the ignore word
    banned: torch.Tensor  # NoWait's masked words


@functools.cache
def _tokenizer(path: str, revision: str | None):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(path, revision=revision)


class Row:
    """One running request: its stream, its own generator when sampled, and how many of its output ids were read."""

    def __init__(self, stream: Stream, temperature: float, seed: int | None, ids: "Ids"):
        self.stream, self.read = stream, 0
        self.output: list[int] = []  # V1 only: the engine's live list of the request's output ids
        self.ids = ids  # the id tensors of its settings, built once per setting rather than every step
        self.temperature = temperature
        self.generator = None
        if temperature >= GREEDY:
            self.generator = torch.Generator()
            self.generator.manual_seed(seed if seed is not None else int(torch.randint(2**62, (1,))))

    @property
    def stops(self) -> torch.Tensor:
        return self.ids.fast_stops if self.stream.sample.fast else self.ids.stops

    def resume(self, emitted: list[int]) -> None:
        """A request that comes back with output (after a preemption): read what it already emitted."""
        replay(self.stream, emitted)
        self.read = len(emitted)

    def observe(self, tokens: list[int]) -> None:
        for token in tokens:
            self.stream.observe(token)
            self.read += 1


class Steering:
    """What both runners share: the tokenizer, the vocabularies per setting, the rows, and the per-step decision."""

    def __init__(self, vllm_config, device: torch.device):
        config = vllm_config.model_config
        self.tokenizer = _tokenizer(config.tokenizer, config.tokenizer_revision)
        self.end_id = self.tokenizer.eos_token_id
        self.device = device
        self.rows: dict[int, Row] = {}
        self._vocabs: dict[Forcing, tuple[Vocab, Ids]] = {}
        if not streamable(Forcing(), self.vocab(Forcing())[0]):
            raise ForcingError(
                f"{config.tokenizer}: the thinking stops {Forcing().stops} are not single tokens in "
                "this tokenizer, so the processor cannot decide them; use the resubmission driver"
            )

    def vocab(self, forcing: Forcing) -> tuple[Vocab, "Ids"]:
        if forcing not in self._vocabs:
            vocab = Vocab.build(self.tokenizer, forcing)

            def tensor(ids) -> torch.Tensor:
                return torch.tensor(sorted(ids), dtype=torch.long, device=self.device)

            self._vocabs[forcing] = (
                vocab,
                Ids(tensor(vocab.stop_ids), tensor(vocab.fast_stop_ids), tensor(vocab.suppress_ids)),
            )
        return self._vocabs[forcing]

    def new_row(self, forcing: Forcing, params, prompt: list[int]) -> Row | None:
        """The row of a request, or None (with a warning) when its settings do not fit this tokenizer (the server's
        middleware refuses those with a 400 first; this keeps one bad offline request from stopping the engine)."""
        try:
            vocab, ids = self.vocab(forcing)
        except ValueError as err:
            logger.warning("budget forcing dropped for a request: %s", err)
            return None
        return Row(stream_for(list(prompt), forcing, vocab, params.seed), params.temperature, params.seed, ids)

    def read(self, key: int, tokens: list[int], resume: bool = False) -> None:
        """Give a row its new ids (with `resume`, all it emitted before a preemption). A row whose ids contradict
        its forcing (another processor or a grammar overrode a forced id) is let go with a warning: one bad request
        must not take the engine down."""
        row = self.rows[key]
        try:
            row.resume(tokens) if resume else row.observe(tokens)
        except ForcingError as err:
            logger.warning("budget forcing dropped for a request: %s", err)
            del self.rows[key]

    def steer(self, logits: torch.Tensor, rows: list[tuple[int, Row]]) -> torch.Tensor:
        """Edit `logits` for the (logits row, request) pairs: force an id, decide a stop, or mask the stops."""
        forced: list[tuple[int, int]] = []
        decide: list[tuple[int, Row]] = []
        for index, row in rows:
            target = row.stream.forced()
            if target is None and row.stream.sample.done:
                target = self.end_id
            if target is not None:
                forced.append((index, target))
            elif row.stream.decides_stop:
                decide.append((index, row))
            elif row.stream.masks_stops:
                self._mask_stops(logits, index, row)
            if target is None and row.stream.sample.banned_ids:
                logits[index, row.ids.banned] = float("-inf")  # before the stop is decided: as the hf engine picks
        for index, row in decide:
            if self._stops_here(logits[index], row):
                row.stream.stop()
                target = row.stream.forced()
                if target is not None:
                    forced.append((index, target))
                    continue
            self._mask_stops(logits, index, row)
        if forced:
            indices, ids = zip(*forced)
            indices_t = torch.tensor(indices, device=logits.device)
            logits[indices_t] = float("-inf")
            logits[indices_t, torch.tensor(ids, device=logits.device)] = 0.0
        for index, row in rows:
            if row.stream.sample.phase is Phase.ANSWER and logits.shape[-1] > row.stream.sample.vocab.size:
                logits[index, row.stream.sample.vocab.size :] = float("-inf")  # ids past the tokenizer
        return logits

    @staticmethod
    def _stops_here(row_logits: torch.Tensor, row: Row) -> bool:
        size = row.stream.sample.vocab.size
        stops = row.stops
        if row.generator is None:
            top = int(row_logits.argmax())
            return top >= size or bool((stops == top).any())
        probs = torch.softmax(row_logits.float() / row.temperature, dim=-1)
        p_stop = float(probs[stops].sum() + probs[size:].sum())
        return float(torch.rand((), generator=row.generator)) < p_stop

    @staticmethod
    def _mask_stops(logits: torch.Tensor, index: int, row: Row) -> None:
        logits[index, row.stops] = float("-inf")
        logits[index, row.stream.sample.vocab.size :] = float("-inf")


class V1Steering(Steering):
    """The V1 runner: rows keyed by persistent batch index, each with the engine's live list of its output ids."""

    def update_state(self, batch_update: BatchUpdate | None) -> None:
        process_dict_updates(self.rows, batch_update, self._add)
        self._catch_up()

    def _add(self, params, prompt: list[int] | None, output: list[int]) -> Row | None:
        forcing = forcing_from_args(params.extra_args)
        if prompt is None or forcing is None:
            return None
        row = self.new_row(forcing, params, prompt)
        if row is None:
            return None
        row.output = output
        if output:  # a preempted request coming back: read what it already emitted
            row.resume(list(itertools.takewhile(lambda t: t >= 0, output)))
        return row

    def _catch_up(self) -> None:
        """Read every row's ids emitted since the last call. Under async scheduling the newest id is a -1
        placeholder until just before `apply`, so reading stops there and resumes on the next call."""
        for index in list(self.rows):
            row = self.rows[index]
            self.read(index, list(itertools.takewhile(lambda t: t >= 0, row.output[row.read :])))

    def apply(self, logits: torch.Tensor) -> torch.Tensor:
        if not self.rows:
            return logits
        self._catch_up()
        return self.steer(logits, list(self.rows.items()))


class V2Steering(Steering):
    """The V2 runner: rows keyed by request slot. A slot is announced without ids and recycled without notice, so a
    row is (re)built from the runner's token buffer at its first step, and only slots in the step's batch are read.
    Per step, the newest id of every forcing row comes from the step's input ids in one device read."""

    def __init__(self, vllm_config, req_states):
        super().__init__(vllm_config, req_states.device)
        if getattr(vllm_config, "speculative_config", None) is not None:
            raise ForcingError(
                "the budget-forcing processor decides one token per request and step; speculative "
                "decoding proposes several: turn it off, or use the resubmission driver"
            )
        self.req_states = req_states
        self.pending: dict[int, tuple] = {}  # slot -> (Forcing, SamplingParams) of a request whose row is not built

    def add_request(self, slot: int, params) -> bool:
        self.rows.pop(slot, None)
        self.pending.pop(slot, None)
        forcing = forcing_from_args(params.extra_args)
        if forcing is None:
            return False
        self.pending[slot] = forcing, params
        return True

    def apply(self, logits: torch.Tensor, ctx) -> torch.Tensor:
        prefill_len = self.req_states.prefill_len.np
        live = [
            (i, int(slot))
            for i, slot in enumerate(ctx.idx_mapping_np)
            if (slot in self.rows or slot in self.pending) and ctx.seq_lens_upper_bound_np[i] >= prefill_len[slot]
        ]  # a prefill chunk's sample is discarded
        if not live:
            return logits
        newest = ctx.input_ids[[i for i, _ in live]].tolist()  # one device read per step
        for (i, slot), last in zip(live, newest):
            self._catch_up(slot, int(ctx.seq_lens_upper_bound_np[i]), last)
        return self.steer(logits, [(i, self.rows[slot]) for i, slot in live if slot in self.rows])

    def _catch_up(self, slot: int, seq_len: int, last: int) -> None:
        """Bring the slot's row up to its `seq_len` ids, the last of which is this step's input id."""
        prompt_len = int(self.req_states.prompt_len.np[slot])
        if slot in self.pending:
            forcing, params = self.pending.pop(slot)
            row = self.new_row(forcing, params, self._tokens(slot, 0, prompt_len))
            if row is None:
                return
            self.rows[slot] = row
            if seq_len > prompt_len:  # a preempted request coming back with output
                self.read(slot, self._tokens(slot, prompt_len, seq_len - 1) + [last], resume=True)
            return
        row = self.rows[slot]
        start = prompt_len + row.read
        if start < seq_len:
            self.read(slot, self._tokens(slot, start, seq_len - 1) + [last])

    def _tokens(self, slot: int, start: int, end: int) -> list[int]:
        if start >= end:
            return []
        return self.req_states.all_token_ids.gpu[slot, start:end].tolist()


class BudgetForcingProcessor(*INTERFACES):
    """The processor vLLM loads: a V1 and/or V2 logits processor (whichever the installed vLLM defines), whose
    constructor arguments tell which runner built it."""

    @classmethod
    def validate_params(cls, params) -> None:
        if forcing_from_args(params.extra_args) and getattr(params, "structured_outputs", None) is not None:
            raise ForcingError(
                "budget forcing cannot be combined with structured output (response_format, structured_outputs): "
                "the grammar refuses the text budget forcing writes (the end of thinking, the ignore string, "
                "'Final Answer:'). Send one of the two: drop vllm_xargs, or ask for the format in the prompt"
            )

    def __init__(self, vllm_config, *runner_args):
        if len(runner_args) == 2:  # V1: (device, is_pin_memory)
            self.steering: Steering = V1Steering(vllm_config, runner_args[0])
        else:  # V2: (req_states,)
            self.steering = V2Steering(vllm_config, *runner_args)

    @property
    def rows(self) -> dict[int, Row]:
        return self.steering.rows

    # V1
    def is_argmax_invariant(self) -> bool:
        return False

    def update_state(self, batch_update) -> None:
        self.steering.update_state(batch_update)

    # V2
    def add_request(self, slot: int, params) -> bool:
        return self.steering.add_request(slot, params)

    def apply_staged_writes(self) -> None:
        pass  # rows are built at their first step, from the runner's buffers

    # both
    def apply(self, logits: torch.Tensor, ctx=None) -> torch.Tensor:
        if ctx is None:
            return self.steering.apply(logits)
        return self.steering.apply(logits, ctx)
