"""Budget forcing inside one engine request: the engine samples every token and the state machine (`forcing.Sample`)
steers it from a logits processor (`vllm_processor.py`), so a request is submitted once instead of once per segment.

A `Stream` wraps one `Sample` and tells the processor, step by step, what the next token must be:

* a **forced** id (the think delimiter, an ignore string, the end delimiter, `Final Answer:`): every other logit
  is masked, one id per step;
* a **stop decision** (thinking, minimum reached): the processor decides whether the model ends its thinking here
  (greedy: the stop wins the argmax; sampling: a draw against the stops' probability). A stop is never emitted:
  the stream appends what the state machine appends instead, so the ids match the resubmission driver's;
* nothing (the model samples freely), with the stops masked while a minimum is pending;
* the end: the answer is done (capped) and the request's end id is forced.

Stop events leave no mark in the ids, so a caller reading a finished request back (`replay`) infers them: the end
delimiter shows where thinking ended, and an ignore string where an ignore was due is counted as one. A "Wait" the
model writes itself while an ignore is due is therefore counted as an ignore, and ignores of an empty string are
counted when thinking ends; the ids and the token counts are exact either way.

Settings travel per request as a flat dict (`SamplingParams.extra_args`, `vllm_xargs` over HTTP): the `Forcing`
fields (`request_args`), read back and validated by `forcing_from_args`.
"""

from __future__ import annotations

import difflib

from pydantic import ValidationError

from s1lib.infer.forcing import Forcing, Phase, Sample, Vocab, auto_budget

# Per-request settings. The sampling fields are the request's own SamplingParams; the chat format (delimiters and
# stops) belongs to the model being served, so it stays the default `Forcing`'s and is checked once at start-up.
SETTINGS = (
    *("max_thinking", "min_thinking", "ignore", "ignore_str", "max_generation", "max_answer", "forced_answer"),
    *("end_message", "suppress", "alpha", "alpha_reference", "alpha_p", "alpha_schedule"),
)
FORMAT = ("think_start", "answer_start", "stops", "answer_stops")
NONE = ("none", "null")  # max_thinking without a cap: JSON null is not a valid vllm_xargs value


class ForcingError(ValueError):
    """A request's budget-forcing settings are invalid (vLLM answers HTTP 400), or its ids contradict them."""


def request_args(forcing: Forcing, budget: int | None | str = "forcing") -> dict:
    """The per-request settings for `forcing`, with `budget` (an int or None) in place of its max_thinking, as JSON
    takes them (`vllm_xargs`): lists for word lists, and the other methods' settings only when they are set."""
    default = Forcing()
    args = {
        name: list(value) if isinstance(value, tuple) else value
        for name in SETTINGS
        if (value := getattr(forcing, name)) != getattr(default, name) or name in SETTINGS[:7]
    }
    if budget != "forcing":
        args["max_thinking"] = budget
    if args["max_thinking"] is None:
        args["max_thinking"] = NONE[0]
    return args


def forcing_from_args(args: dict | None) -> Forcing | None:
    """The request's `Forcing`, or None when it asks for no budget forcing (no setting named). Every key of a
    budget-forcing request must be a setting, and a key that is nearly a setting's name is refused in any request,
    so a misspelt setting never runs silently unforced."""
    if not args:
        return None
    unknown = sorted(set(args) - set(SETTINGS))
    misspelt = {k: difflib.get_close_matches(k, SETTINGS, n=1, cutoff=0.8) for k in unknown}
    misspelt = {k: m[0] for k, m in misspelt.items() if m}
    if misspelt:  # no setting named right, but one named almost right: refuse rather than run unforced
        raise ForcingError(
            "; ".join(f"unknown budget-forcing setting {k!r} (did you mean {m!r}?)" for k, m in misspelt.items())
        )
    if not any(k in args for k in SETTINGS):
        return None
    if unknown:
        raise ForcingError(
            f"unknown budget-forcing setting(s) {', '.join(map(repr, unknown))}; known: {', '.join(SETTINGS)}"
        )
    values = dict(args)
    if isinstance(values.get("max_thinking"), str) and values["max_thinking"].lower() in NONE:
        values["max_thinking"] = None
    try:
        return Forcing(**values)
    except ValidationError as err:
        raise ForcingError(
            "; ".join(f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in err.errors())
        ) from None


def streamable(forcing: Forcing, vocab: Vocab) -> bool:
    """Can the processor run `forcing`? It needs the default chat format, whose thinking stops are single tokens
    (it decides a stop on one sampled token; a multi-token stop would already be emitted)."""
    default = Forcing()
    return all(getattr(forcing, f) == getattr(default, f) for f in FORMAT) and not vocab.stop_seqs


def stream_for(prompt: list[int], forcing: Forcing, vocab: Vocab, seed: int | None = None) -> "Stream":
    """A stream for a request whose prompt may or may not already end with the think delimiter; `seed` (the
    request's) seeds the sample's own draws (AlphaOne's), as `build_samples` seeds them offline."""
    think = list(vocab.think_start)
    has_think = len(prompt) >= len(think) and prompt[len(prompt) - len(think) :] == think
    question = prompt[: len(prompt) - len(think)] if has_think else list(prompt)
    if forcing.max_thinking == "auto":
        budget = auto_budget(forcing, vocab, [len(question)])
    else:
        budget = forcing.max_thinking
    return Stream(Sample(question, forcing, vocab, budget, seed=seed), seen=len(prompt))


class Stream:
    """One request: `sample.ids[:seen]` is what the engine has (prompt and emitted ids); the rest is forced next."""

    def __init__(self, sample: Sample, seen: int | None = None):
        self.sample = sample
        self.seen = len(sample.ids) if seen is None else seen

    def forced(self) -> int | None:
        """The id the next step must produce, if any (None after the end: nothing is left to force)."""
        return self.sample.ids[self.seen] if self.seen < len(self.sample.ids) else None

    @property
    def decides_stop(self) -> bool:
        """May the model end its thinking at the next step (thinking, nothing forced, minimum reached)?"""
        s = self.sample
        return s.phase is Phase.THINK and self.forced() is None and s.min_new == 0

    @property
    def masks_stops(self) -> bool:
        return self.sample.phase is Phase.THINK and self.forced() is None and self.sample.min_new > 0

    def stop(self) -> None:
        """The model ends its thinking here: append what the state machine appends instead of the stop."""
        self.sample.end_segment("stop")

    def observe(self, token: int) -> None:
        """Take one id the engine emitted (a forced one, or one the model sampled)."""
        s = self.sample
        if s.done:
            return  # the end id forced after the answer cap
        expected = self.forced()
        if expected is not None:
            if token != expected:
                raise ForcingError(f"the engine emitted id {token} where {expected} was forced")
            self.seen += 1
            return
        joined = s.accept(token)
        self.seen = min(self.seen + joined, len(s.ids))  # a multi-token answer stop is stripped from ids


def replay(stream: Stream, tokens: list[int]) -> None:
    """Read a request's emitted ids back into its sample, inferring the stop events (module docstring)."""
    s, natural = stream.sample, list(stream.sample.vocab.natural_end)
    for i, token in enumerate(tokens):
        if s.done:
            break
        if stream.decides_stop:
            if _opens(tokens, i, natural):
                while s.phase is Phase.THINK and stream.forced() is None:  # ignores of an empty string, then the end
                    stream.stop()
            elif s.takes_ignore and s.vocab.ignore and _opens(tokens, i, list(s.vocab.ignore)):
                stream.stop()
        stream.observe(token)


def _opens(tokens: list[int], i: int, forced: list[int]) -> bool:
    """Do the ids from `i` on begin with `forced`, or end inside it (a request preempted while it was forced)?"""
    rest = tokens[i : i + len(forced)]
    return bool(rest) and rest == forced[: len(rest)]
