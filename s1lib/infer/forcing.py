"""Budget forcing as one per-sample state machine, shared by every engine.

A `Sample` holds the token ids of one sequence (prompt, forced text, generated text) and decides what happens
when a generation segment ends. Engines only generate: they feed `sample.ids` to the model (any ids they have not
fed yet), sample tokens with the limits the sample states (`max_new`, `min_new`, `stop_ids`) and hand every
sampled token to `sample.accept`. The transformers engine does this one token at a time with a live KV cache;
the vLLM engine does it one segment at a time with prefix caching. The semantics match the official harness
(`lm_eval/models/vllm_causallms.py` of simplescaling/s1):

* The prompt is the chat prompt followed by `<|im_start|>think`; thinking stops at `<|im_start|>` or `<|im_end|>`.
* When the model ends thinking itself, `<|im_start|>answer` is appended and the answer generated until
  `<|im_end|>`.
* When the thinking budget is used up, `\\n` (unless the text already ends with one), `<|im_start|>answer` and
  `\\nFinal Answer:` are appended, and the answer generated.
* Ignoring the end (extrapolation): up to `ignore` times the stop token is dropped and `ignore_str` appended
  (ids, no space); the next segment must produce at least one token.
* A minimum thinking length suppresses the stop tokens until it is reached.

Deliberate differences from the harness, each tested:

* The budget counts every thinking token, ignore strings included, and is never exceeded (the harness gives each
  round the full budget and truncates ids afterwards, so the logged text could run past what the answer saw).
* An ignore string is appended only if it fits in the remaining budget with room for one more token; otherwise the
  end stands and the ignores left undone are counted (`n_ignore_skipped`). No segment is ever requested with a
  budget of zero or less (official issue #53).
* Stops may be multi-token strings (issue #102), in thinking and in the answer: they are matched on token ids as
  they are accepted, and stripped.
* A sampled id outside the tokenizer's vocabulary (embedding rows past the vocabulary, README known issue) ends
  the segment like a stop and is never re-fed.
* No engine is ever called with an empty batch (issues #35/#95): drivers only submit samples that are not done.

Other test-time-scaling methods are settings of the same machine (docs/budget-forcing.md, "Other methods, as
settings"):

* `end_message` (native caps: vLLM's `thinking_token_budget`, llama.cpp's `--reasoning-budget-message`, Qwen3's
  two-call method): when the budget runs out, this text is forced before the end delimiter. It is forced text, not
  thinking: the budget counts what the model thought.
* `suppress` (NoWait, arXiv 2506.08343): while thinking, every token whose text is one of the words (any case, with
  or without surrounding spaces) is masked (`Sample.banned_ids`); forced text is never masked.
* `alpha` (AlphaOne, arXiv 2505.24863): before the alpha moment (`alpha` x `alpha_reference` thinking tokens) the
  ignore string is inserted at a paragraph break with a scheduled probability (the sample's own seeded draws);
  from the moment on, a token that writes the ignore word ends thinking like a stop.
"""

from __future__ import annotations

import weakref
import random
import string
from dataclasses import dataclass, field
from enum import Enum
from typing import Literal

from pydantic import ConfigDict, Field, field_validator, model_validator
from pydantic.dataclasses import dataclass as pydantic_dataclass

from s1lib.errors import UserError
from s1lib.format import ANSWER, FORCED_ANSWER, THINK, encode
from s1lib.validation import refuse_bools


class Phase(str, Enum):
    THINK = "think"
    ANSWER = "answer"
    DONE = "done"


@pydantic_dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class Forcing:
    """Budget-forcing settings: the profile's `forcing` section and what every engine runs, one validated type (the
    official harness's gen_kwargs names in the descriptions). Change one with `dataclasses.replace`, which
    validates again."""

    max_thinking: int | Literal["auto"] | None = Field(
        "auto", description="max_tokens_thinking: a token budget, 'auto' (fill the context) or null (no cap)"
    )
    min_thinking: int = Field(0, ge=0, description="min_tokens_thinking: suppress the end of thinking until reached")
    ignore: int = Field(0, ge=0, description="thinking_n_ignore: how many times the end of thinking is ignored")
    ignore_str: str = Field("Wait", description="thinking_n_ignore_str: appended each time the end is ignored")
    max_generation: int = Field(32768, ge=1, description="max_gen_toks: the context the 'auto' budget fills")
    max_answer: int = Field(32768, ge=1, description="cap on answer tokens after thinking")
    temperature: float = Field(0.0, ge=0)
    top_p: float = Field(1.0, gt=0, le=1)
    seed: int = 0
    rejection_tries: int = Field(
        0, ge=0, description="rejection sampling: resample until thinking fits (needs temperature > 0)"
    )
    think_start: str = THINK
    answer_start: str = ANSWER
    forced_answer: str = FORCED_ANSWER
    stops: tuple[str, ...] = ("<|im_start|>", "<|im_end|>")  # until_thinking
    answer_stops: tuple[str, ...] = ("<|im_end|>",)
    end_message: str = Field(
        "", description="native cap: text forced before the end of thinking when the budget runs out"
    )
    suppress: tuple[str, ...] = Field((), description="NoWait: words whose tokens are masked while thinking")
    alpha: float | None = Field(
        None, gt=0, description="AlphaOne: the alpha moment falls at alpha x alpha_reference thinking tokens"
    )
    alpha_reference: int | None = Field(
        None, ge=1, description="AlphaOne: the reference thinking length, e.g. the mean of a run without forcing"
    )
    alpha_p: float = Field(0.5, ge=0, le=1, description="AlphaOne: chance of inserting ignore_str at the first break")
    alpha_schedule: Literal["linear", "constant"] = Field(
        "linear", description="AlphaOne: 'linear' anneals alpha_p to 0 at the alpha moment, 'constant' keeps it"
    )

    _no_bool_numbers = field_validator("*", mode="before")(refuse_bools)

    @field_validator("max_thinking")
    @classmethod
    def _positive_budget(cls, v):
        if isinstance(v, int) and v < 0:
            raise ValueError("must be >= 0, 'auto' or null")
        return v

    @model_validator(mode="after")
    def _consistent(self):
        if self.rejection_tries and self.temperature == 0:
            raise ValueError("rejection_tries needs temperature > 0: greedy decoding gives the same sample every try")
        if isinstance(self.max_thinking, int) and self.min_thinking > self.max_thinking:
            raise ValueError(f"min_thinking ({self.min_thinking}) exceeds max_thinking ({self.max_thinking})")
        if self.alpha is not None:
            if self.alpha_reference is None:
                raise ValueError("alpha needs alpha_reference: the thinking length (tokens) the alpha moment scales")
            if not self.ignore_str.strip():
                raise ValueError("alpha needs an ignore_str: it is what alpha scheduling inserts")
            if self.ignore:
                raise ValueError(
                    "alpha and ignore both decide what a 'Wait' does (alpha ends thinking at it after the alpha "
                    "moment, ignore writes it at an end): use one"
                )
        if any(not w.strip() for w in self.suppress):
            raise ValueError("suppress: a word is empty")
        return self

    @property
    def alpha_moment(self) -> int | None:
        """The thinking-token count at which AlphaOne switches from slow to fast thinking."""
        return None if self.alpha is None else max(1, round(self.alpha * self.alpha_reference))

    def describe(self, *names: str) -> dict:
        """The named settings (default: the budget-forcing ones), for banners and tables."""
        return {n: getattr(self, n) for n in names or ("max_thinking", "min_thinking", "ignore", "ignore_str")}


@dataclass(frozen=True)
class Vocab:
    """Token ids of every delimiter, computed once per tokenizer and setting."""

    think_start: tuple[int, ...]
    natural_end: tuple[int, ...]
    forced_end: tuple[int, ...]
    newline: tuple[int, ...]
    ignore: tuple[int, ...]
    stop_ids: frozenset[int]  # single-token stops: engines stop on these natively
    stop_seqs: tuple[tuple[int, ...], ...]  # multi-token stops, matched in `Sample.accept`
    answer_stop_ids: frozenset[int]
    answer_stop_seqs: tuple[tuple[int, ...], ...]
    size: int  # ids >= size are outside the tokenizer
    ends_with_newline: frozenset[int]  # ids whose text ends with "\n"
    end_message: tuple[int, ...] = ()
    suppress_ids: frozenset[int] = frozenset()  # NoWait: masked while thinking
    ignore_word_ids: frozenset[int] = frozenset()  # AlphaOne: tokens that write the ignore word
    fast_stop_ids: frozenset[int] = frozenset()  # AlphaOne: the thinking stops past the moment (stops + the word)
    paragraph_ids: frozenset[int] = frozenset()  # AlphaOne: ids whose text ends a paragraph ("\n\n")
    blank_ids: frozenset[int] = frozenset()  # AlphaOne: ids of only whitespace and a newline

    @classmethod
    def build(cls, tokenizer, forcing: Forcing) -> "Vocab":
        def ids(text: str) -> tuple[int, ...]:
            return tuple(encode(tokenizer, text))

        stops = [ids(s) for s in forcing.stops]
        answer_stops = [ids(s) for s in forcing.answer_stops]
        eos = {tokenizer.eos_token_id} if tokenizer.eos_token_id is not None else set()
        size = len(tokenizer)
        stop_ids = frozenset(s[0] for s in stops if len(s) == 1) | eos
        ignore_words = (
            word_token_ids(tokenizer, (forcing.ignore_str.split()[0],), "ignore_str")
            if forcing.alpha is not None
            else frozenset()
        )
        return cls(
            think_start=ids(forcing.think_start),
            natural_end=ids(forcing.answer_start),
            forced_end=ids(forcing.answer_start + forcing.forced_answer),
            newline=ids("\n"),
            ignore=ids(forcing.ignore_str) if forcing.ignore_str else (),
            stop_ids=stop_ids,
            stop_seqs=tuple(s for s in stops if len(s) > 1),
            answer_stop_ids=frozenset(s[0] for s in answer_stops if len(s) == 1) | eos,
            answer_stop_seqs=tuple(s for s in answer_stops if len(s) > 1),
            size=size,
            ends_with_newline=newline_token_ids(tokenizer),
            end_message=ids(forcing.end_message) if forcing.end_message else (),
            suppress_ids=word_token_ids(tokenizer, forcing.suppress, "suppress"),
            ignore_word_ids=ignore_words,
            fast_stop_ids=stop_ids | ignore_words,
            paragraph_ids=_texts(tokenizer).paragraph if forcing.alpha is not None else frozenset(),
            blank_ids=_texts(tokenizer).blank if forcing.alpha is not None else frozenset(),
        )


_NEWLINE_IDS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def newline_token_ids(tokenizer) -> frozenset[int]:
    """Ids whose text ends with a newline (byte-level BPE writes it "Ċ"); one vocabulary scan per tokenizer."""
    if tokenizer not in _NEWLINE_IDS:
        tokens = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
        _NEWLINE_IDS[tokenizer] = frozenset(i for i, t in enumerate(tokens) if t and t.endswith(("\n", "Ċ")))
    return _NEWLINE_IDS[tokenizer]


@dataclass(frozen=True)
class _TokenTexts:
    by_word: dict[str, frozenset[int]]  # ids by their text stripped of spaces and punctuation, lower case
    paragraph: frozenset[int]
    blank: frozenset[int]


_TEXTS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


class WordError(UserError, ValueError):
    """A word a setting must find as a token (NoWait's, AlphaOne's ignore word) that this tokenizer splits."""


def _texts(tokenizer) -> _TokenTexts:
    """Every token's text, indexed for the word and paragraph rules; one vocabulary scan per tokenizer."""
    if tokenizer not in _TEXTS:
        by_word: dict[str, set[int]] = {}
        paragraph, blank = set(), set()
        texts = tokenizer.batch_decode([[i] for i in range(len(tokenizer))], skip_special_tokens=False)
        for i, text in enumerate(texts):
            by_word.setdefault(text.strip().strip(string.punctuation).lower(), set()).add(i)
            if text.rstrip(" \t").endswith("\n\n"):
                paragraph.add(i)
            if "\n" in text and not text.strip():
                blank.add(i)
        _TEXTS[tokenizer] = _TokenTexts(
            {w: frozenset(ids) for w, ids in by_word.items()}, frozenset(paragraph), frozenset(blank)
        )
    return _TEXTS[tokenizer]


def word_token_ids(tokenizer, words: tuple[str, ...], setting: str) -> frozenset[int]:
    """Ids of every token that writes one of `words` on its own: its text, stripped of spaces and punctuation, is the
    word in any case ("Wait", " wait", "WAIT", " Wait,"). A word written only across several tokens is refused: masking
    a piece of it would mask other words too."""
    if not words:
        return frozenset()
    index, found = _texts(tokenizer).by_word, set()
    for word in words:
        key = word.strip().strip(string.punctuation).lower()
        if not index.get(key):
            raise WordError(
                f"{setting}: {word!r} is not a single token in this tokenizer (only words that are can be masked "
                "or recognised token by token); give a shorter form"
            )
        found |= index[key]
    return frozenset(found)


def auto_budget(forcing: Forcing, vocab: Vocab, prompt_lengths: list[int]) -> int:
    """The harness's `max_tokens_thinking=auto`: the context left after the longest prompt in the batch, the two
    delimiters and 100 tokens kept for the answer (0 when nothing is left: the end is forced at once).
    `prompt_lengths` exclude the think delimiter."""
    longest = max(prompt_lengths, default=0)
    return max(0, forcing.max_generation - longest - len(vocab.think_start) - len(vocab.forced_end) - 100)


@dataclass
class Segment:
    kind: Literal["prompt", "think_start", "model", "ignore", "inserted", "end", "end_message", "forced_end", "answer"]
    ids: list[int] = field(default_factory=list)


class Sample:
    """One sequence under budget forcing. `ids` is everything the model has seen or must see next.

    A sample carries its own sampling settings (`forcing.temperature`, `forcing.top_p`) and `seed`, and engines
    seed each sample on its own: its draws do not depend on which samples share its batch."""

    def __init__(
        self, prompt_ids: list[int], forcing: Forcing, vocab: Vocab, budget: int | None, seed: int | None = None
    ):
        self.forcing, self.vocab = forcing, vocab
        self.seed = forcing.seed if seed is None else seed
        self.budget = budget  # max thinking tokens; None = uncapped (then max_generation caps it)
        self.cap = budget if budget is not None else forcing.max_generation
        self.segment_id = 0  # increments whenever a generation segment ends; drivers watch it
        self.segments: list[Segment] = [
            Segment("prompt", list(prompt_ids)),
            Segment("think_start", list(vocab.think_start)),
        ]
        self.ids: list[int] = list(prompt_ids) + list(vocab.think_start)
        self.prompt_len = len(prompt_ids)
        self.phase = Phase.THINK
        self.thinking_tokens = 0  # model tokens + ignore-string tokens inside the think block
        self.answer_tokens = 0
        self.n_ignored = 0
        self.n_ignore_skipped = 0  # ignores asked for but not done: the string no longer fit the budget
        self.n_inserted = 0  # AlphaOne: ignore strings inserted at paragraph breaks
        self.forced_end = False
        self.moment = forcing.alpha_moment
        self._draws = random.Random(self.seed) if self.moment is not None else None
        self._segment_len = 0  # tokens accepted in the current generation segment
        self._min_segment = 0  # the current segment must reach this length before a stop counts
        if budget is not None and budget <= 0:
            self._force_end()

    @classmethod
    def answer_branch(
        cls,
        prompt_ids: list[int],
        thinking: list[tuple[str, list[int]]],
        natural: bool,
        forcing: Forcing,
        vocab: Vocab,
        budget: int | None,
    ) -> "Sample":
        """A sample whose thinking is given (segments of kind "model"/"ignore", e.g. a prefix of a longer run)
        and that only has its end delimiter appended and its answer left to generate."""
        s = cls(prompt_ids, forcing, vocab, budget=None)
        s.budget = budget
        for kind, ids in thinking:
            if ids:
                s._append(kind, ids)
                s.thinking_tokens += len(ids)
        s.n_ignored = sum(kind == "ignore" for kind, _ in thinking)
        if natural:
            s._append("end", vocab.natural_end)
            s._enter_answer()
        else:
            s._force_end()
        return s

    @classmethod
    def at_end_attempt(
        cls, prompt_ids: list[int], thinking: list[int], forcing: Forcing, vocab: Vocab, budget: int | None
    ) -> "Sample":
        """A sample whose model thought `thinking` and then tried to end, before any ignore: it takes that end
        under its own settings (ignores it and appends its string, or enters the answer) and goes on from there.
        Greedy runs that differ only in what they do at an end think the same tokens up to it (`infer.sweep`)."""
        s = cls(prompt_ids, forcing, vocab, budget)
        s._append("model", thinking)
        s.thinking_tokens = s._segment_len = len(thinking)
        s.end_segment("stop")
        return s

    # -- what engines read ------------------------------------------------------------------------------
    @property
    def done(self) -> bool:
        return self.phase is Phase.DONE

    @property
    def fast(self) -> bool:
        """Past the AlphaOne moment: a written ignore word ends thinking."""
        return self.moment is not None and self.thinking_tokens >= self.moment

    @property
    def stop_ids(self) -> frozenset[int]:
        if self.phase is not Phase.THINK:
            return self.vocab.answer_stop_ids
        return self.vocab.fast_stop_ids if self.fast else self.vocab.stop_ids

    @property
    def banned_ids(self) -> frozenset[int]:
        """Ids the model may not sample now (NoWait's words while thinking)."""
        return self.vocab.suppress_ids if self.phase is Phase.THINK else frozenset()

    @property
    def segment_room(self) -> int:
        """Tokens a generation request may produce before the sample needs a new request: its `max_new`, and while
        thinking slowly, no further than the AlphaOne moment (after which the stops change)."""
        if self.phase is Phase.THINK and self.moment is not None and not self.fast:
            return min(self.max_new, self.moment - self.thinking_tokens)
        return self.max_new

    @property
    def max_new(self) -> int:
        """Tokens the current segment may still produce (always >= 1 while not done)."""
        if self.phase is Phase.ANSWER:
            return self.forcing.max_answer - self.answer_tokens
        return self.cap - self.thinking_tokens

    @property
    def segment_tokens(self) -> int:
        """Tokens accepted since the current segment started (after the last forced text)."""
        return self._segment_len

    @property
    def min_new(self) -> int:
        """Tokens the current segment must produce before a stop token may be sampled."""
        if self.phase is not Phase.THINK:
            return 0
        floor = self.forcing.min_thinking - self.thinking_tokens
        return max(floor, self._min_segment - self._segment_len, 0)

    @property
    def takes_ignore(self) -> bool:
        """Would a stop now be ignored (an ignore left, and its string fits the budget with room for one more)?"""
        return self.n_ignored < self.forcing.ignore and self.max_new - len(self.vocab.ignore) >= 1

    # -- what engines call ------------------------------------------------------------------------------
    def accept(self, token: int) -> bool:
        """Take one sampled token. Returns True if it joined the sequence (the engine feeds it), False if it
        ended the segment instead (a stop or an out-of-vocabulary id, never fed). May append forced ids."""
        assert not self.done, "accept() on a finished sample"
        if token in self.stop_ids or token >= self.vocab.size:
            self.end_segment("stop")
            return False
        self.ids.append(token)
        self._segment_len += 1
        if self.phase is Phase.ANSWER:
            self._current("answer").ids.append(token)
            self.answer_tokens += 1
            if self._strip_stop_sequence(self.vocab.answer_stop_seqs):
                self.end_segment("stop")
            elif self.answer_tokens >= self.forcing.max_answer:
                self.end_segment("length")
            return True
        previous = self.ids[-2]
        self._current("model").ids.append(token)
        self.thinking_tokens += 1
        if self._strip_stop_sequence(self.vocab.stop_seqs):
            self.end_segment("stop")
        elif self.thinking_tokens >= self.cap:
            self.end_segment("length")
        elif self.moment is not None:
            self._schedule(token, previous)
        return True

    def end_segment(self, reason: Literal["stop", "length"]) -> None:
        """The current segment ended on a stop (the model wants to end) or on its token limit."""
        if self.phase is Phase.DONE:
            return
        self.segment_id += 1
        if self.phase is Phase.ANSWER:
            self.phase = Phase.DONE
            return
        if reason == "length":
            self._force_end()
            return
        if self.thinking_tokens < self.forcing.min_thinking:
            self._restart_segment(min_tokens=1)  # a multi-token stop before the floor: drop it and go on
            return
        if self.takes_ignore:
            self.n_ignored += 1
            self._append("ignore", self.vocab.ignore)
            self.thinking_tokens += len(self.vocab.ignore)
            self._restart_segment(min_tokens=1)
            return
        self.n_ignore_skipped = self.forcing.ignore - self.n_ignored
        self._append("end", self.vocab.natural_end)
        self._enter_answer()

    # -- internals --------------------------------------------------------------------------------------
    def _schedule(self, token: int, previous: int) -> None:
        """AlphaOne before its moment: at a paragraph break, insert the ignore string with the scheduled chance (a
        new segment: the text is forced). Reaching the moment also starts a new segment (the stops change)."""
        if self.thinking_tokens >= self.moment:
            if self.thinking_tokens == self.moment:
                self.segment_id += 1
            return
        v = self.vocab
        if not (token in v.paragraph_ids or (token in v.blank_ids and previous in v.ends_with_newline)):
            return
        chance = self.forcing.alpha_p
        if self.forcing.alpha_schedule == "linear":
            chance *= 1 - self.thinking_tokens / self.moment
        if self._draws.random() < chance and self.max_new - len(v.ignore) >= 1:
            self._append("inserted", v.ignore)
            self.thinking_tokens += len(v.ignore)
            self.n_inserted += 1
            self.segment_id += 1
            self._restart_segment(min_tokens=0)

    def _force_end(self) -> None:
        last = self.ids[-1] if self.ids else None
        if self.vocab.end_message:
            newline = () if last in self.vocab.ends_with_newline else self.vocab.newline
            self._append("end_message", newline + self.vocab.end_message)
            last = self.ids[-1]
        newline = () if last in self.vocab.ends_with_newline else self.vocab.newline
        self._append("forced_end", newline + self.vocab.forced_end)
        self.forced_end = True
        self._enter_answer()

    def _enter_answer(self) -> None:
        self.phase = Phase.ANSWER
        self._restart_segment(min_tokens=0)
        if self.forcing.max_answer <= 0:
            self.phase = Phase.DONE

    def _restart_segment(self, min_tokens: int) -> None:
        self._segment_len, self._min_segment = 0, min_tokens

    def _append(self, kind, ids) -> None:
        self.segments.append(Segment(kind, list(ids)))
        self.ids.extend(ids)

    def _current(self, kind) -> Segment:
        if self.segments[-1].kind != kind:
            self.segments.append(Segment(kind))
        return self.segments[-1]

    def _strip_stop_sequence(self, seqs: tuple[tuple[int, ...], ...]) -> bool:
        """Did the accepted ids just complete one of `seqs`? If so, remove it (stops are never part of the text)."""
        generated = self.segments[-1].ids
        for seq in seqs:
            n = len(seq)
            if self._segment_len >= n and tuple(generated[-n:]) == seq:
                del generated[-n:]
                del self.ids[-n:]
                if self.phase is Phase.ANSWER:
                    self.answer_tokens -= n
                else:
                    self.thinking_tokens -= n
                return True
        return False

    # -- results ----------------------------------------------------------------------------------------
    def result(self, tokenizer) -> "Generation":
        def text(kinds) -> str:
            return tokenizer.decode(
                [t for s in self.segments if s.kind in kinds for t in s.ids], skip_special_tokens=False
            )

        return Generation(
            text=text({"think_start", "model", "ignore", "inserted", "end", "end_message", "forced_end", "answer"}),
            thinking=text({"model", "ignore", "inserted"}),
            answer=text({"forced_end", "answer"}).split(self.forcing.answer_start, 1)[-1].lstrip("\n")
            if self.forced_end
            else text({"answer"}).lstrip("\n"),
            thinking_tokens=self.thinking_tokens,
            answer_tokens=self.answer_tokens,
            n_ignored=self.n_ignored,
            n_ignore_skipped=self.n_ignore_skipped,
            forced_end=self.forced_end,
            budget=self.budget,
            n_inserted=self.n_inserted,
            token_ids=self.ids[self.prompt_len :],
            segments=[
                (s.kind, tokenizer.decode(s.ids, skip_special_tokens=False)) for s in self.segments[1:] if s.ids
            ],
        )


@dataclass
class Generation:
    """One finished sample: what the notebooks, the CLI and the evaluation read."""

    text: str  # everything after the chat prompt, delimiters included
    thinking: str
    answer: str  # after the answer delimiter ("Final Answer: ..." when forced)
    thinking_tokens: int  # model tokenizer, ignore strings included
    answer_tokens: int
    n_ignored: int
    n_ignore_skipped: int  # ignores left undone because the string did not fit the remaining budget
    forced_end: bool
    budget: int | None
    token_ids: list[int]
    segments: list[tuple[str, str]]  # (kind, text) for highlighting forced parts
    n_inserted: int = 0  # AlphaOne insertions
    tries: int = 1  # rejection sampling

    @property
    def total_tokens(self) -> int:
        """Every token of the sequence after the chat prompt: delimiters, thinking, forced text and answer. The unit
        of the methods' common token axis (`s1lib.eval.methods`)."""
        return len(self.token_ids)

    def to_dict(self) -> dict:
        return dict(self.__dict__)
