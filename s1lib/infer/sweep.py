"""Test-time-scaling sweeps from one long generation per question.

Under greedy decoding a run with a smaller thinking budget is a prefix of a run with a larger one, and a run with
k ignored ends is a prefix of one with k + 1. So the sweep generates once per question at the largest budget and
the largest ignore count, records where the model tried to end its thinking, and derives every setting (B, k):

* walk the recorded end attempts in order: the j-th one (j <= k) is ignored if the ignore string and one more token
  fit in B (the rule `Sample` applies), otherwise thinking ends there naturally;
* if no end attempt falls before B, thinking is cut at B and the answer forced.

`stop_after=[k]` adds the control of the mechanism: ignore the end k times at the largest budget, but force the
answer right after the k-th ignore string, so the string is there and the thinking it would have started is not.

Only the short answer completions are generated per distinct cut point (deduplicated across settings), as
answer-phase samples; the vLLM engine's prefix caching reuses the shared prefix, and the transformers engine
prefills a question's longest branch once and copies its cache to the branches it extends.

`string_sweep` does the same for Table 4's question, what to append when an end is ignored: every string's run
resumes from one run's first end attempt.

Exactness: the derived settings equal independent runs token for token when decoding is batch-invariant, as it is
for the embedded model in fp32 on CPU (tested). On GPUs, bf16/fp16 kernels and batch-size-dependent reductions
(different batch composition between the long run and an independent run, split-K matmuls, vLLM's
chunked prefill) can flip a near-tie argmax, after which the traces diverge; treat the sweep as an approximation
there and spot-check a few settings with independent runs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from s1lib.infer import prompt_ids, resolve_budget, run_samples
from s1lib.infer.forcing import Forcing, Generation, Sample, Vocab


@dataclass(frozen=True)
class Cut:
    at: int  # thinking tokens kept
    natural: bool
    n_ignored: int


def end_attempts(sample: Sample) -> tuple[list[tuple[str, list[int]]], list[int]]:
    """(thinking segments, thinking-token positions where the model tried to end; the last one is where the long
    run ended naturally, if it did)."""
    segments = [(s.kind, list(s.ids)) for s in sample.segments if s.kind in ("model", "ignore")]
    segments += [("ignore", []) for _ in range(sample.n_ignored - sum(k == "ignore" for k, _ in segments))]
    attempts, count = [], 0
    for kind, ids in segments:
        if kind == "ignore":
            attempts.append(count)
        count += len(ids)
    if not sample.forced_end:
        attempts.append(sample.thinking_tokens)
    return segments, attempts


def cut_for(attempts: list[int], budget: int, ignore: int, ignore_len: int) -> Cut:
    ignored = 0
    for position in attempts:
        if position >= budget:
            break
        if ignored < ignore and budget - position - ignore_len >= 1:
            ignored += 1
            continue
        return Cut(position, True, ignored)
    return Cut(budget, False, ignored)


def stop_cut(attempts: list[int], budget: int, k: int, ignore_len: int) -> Cut:
    """Thinking kept up to and including the k-th ignore string, then the answer forced (the string-only control)."""
    full = cut_for(attempts, budget, k, ignore_len)
    if full.n_ignored < k:
        return full  # the budget ran out before k ignores: nothing to control against
    return Cut(attempts[k - 1] + ignore_len, False, k)


def _prefix(segments: list[tuple[str, list[int]]], cut: Cut) -> list[tuple[str, list[int]]]:
    out, count, ignores = [], 0, 0
    for kind, ids in segments:
        if kind == "ignore":
            if ignores == cut.n_ignored:
                break
            ignores += 1
        take = ids[: max(0, cut.at - count)] if kind == "model" else ids
        if kind == "model" and not take and count >= cut.at:
            break
        out.append((kind, take))
        count += len(take)
    return out


def sweep(
    engine,
    questions: list[str],
    budgets: list[int | str],
    ignores: list[int],
    base: Forcing = Forcing(),
    progress: bool = False,
    stop_after: list[int] = (),
) -> dict[tuple, list[Generation]]:
    """{(budget, ignore count): one `Generation` per question} for every combination, from one long greedy run,
    plus {("stop after", k): ...} for each k in `stop_after` (at the largest budget). Budgets may include 'auto'
    (resolved over `questions` as the harness does)."""
    if base.temperature != 0:
        raise ValueError("the prefix property needs greedy decoding (temperature 0)")
    _refuse_alpha(base)
    tok = engine.tokenizer
    vocab = Vocab.build(tok, base)
    prompts = prompt_ids(tok, questions)
    resolved = {b: (resolve_budget(replace(base, max_thinking=b), vocab, [len(p) for p in prompts])) for b in budgets}
    top = max(resolved.values())
    longest = replace(base, max_thinking=top, ignore=max([*ignores, *stop_after]))
    long_runs, _ = run_samples(engine, questions, longest, progress)

    branches: dict[tuple[int, Cut], Sample] = {}
    chosen: dict[tuple[int | str, int], list[tuple[int, Cut]]] = {}
    for i, (sample, prompt) in enumerate(zip(long_runs, prompts)):
        segments, attempts = end_attempts(sample)
        settings = [
            (b, k, budget, cut_for(attempts, budget, k, len(vocab.ignore)))
            for b, budget in resolved.items()
            for k in ignores
        ]
        settings += [("stop after", k, top, stop_cut(attempts, top, k, len(vocab.ignore))) for k in stop_after]
        for b, k, budget, cut in settings:
            chosen.setdefault((b, k), []).append((i, cut))
            if (i, cut) not in branches:
                setting = replace(base, max_thinking=budget, ignore=k)
                branches[(i, cut)] = Sample.answer_branch(
                    prompt, _prefix(segments, cut), cut.natural, setting, vocab, budget
                )
    engine.run(list(branches.values()))
    return {key: [branches[pick].result(tok) for pick in picks] for key, picks in chosen.items()}


def string_sweep(
    engine, questions: list[str], strings: list[str], ignore: int, base: Forcing = Forcing(), progress: bool = False
) -> dict[str | None, list[Generation]]:
    """{None: no extrapolation (no ignores)} and {string: `ignore` ignored ends, each followed by the string} for
    every string, one `Generation` per question.

    Under greedy decoding these runs think the same tokens until the model first tries to end. So each question is
    generated once without ignores, and every string's run resumes at that first end attempt
    (`Sample.at_end_attempt`): only what follows it is generated per string. A run cut at the budget before any end
    attempt is the same under every string."""
    if base.temperature != 0:
        raise ValueError("the shared thinking needs greedy decoding (temperature 0)")
    if ignore < 1:
        raise ValueError(f"ignore must be >= 1 to compare strings (got {ignore})")
    _refuse_alpha(base)
    tok = engine.tokenizer
    first, _ = run_samples(engine, questions, replace(base, ignore=0), progress)
    settings = {text: replace(base, ignore=ignore, ignore_str=text) for text in strings}
    vocabs = {text: Vocab.build(tok, setting) for text, setting in settings.items()}

    def resume(s: Sample, text: str) -> Sample:
        thought = [t for segment in s.segments if segment.kind == "model" for t in segment.ids]
        return Sample.at_end_attempt(s.ids[: s.prompt_len], thought, settings[text], vocabs[text], s.budget)

    resumed = {(i, text): resume(s, text) for i, s in enumerate(first) if not s.forced_end for text in strings}
    engine.run(list(resumed.values()))  # question by question: a batch shares its prompts
    out = {None: [s.result(tok) for s in first]}
    for text in strings:
        out[text] = [resumed.get((i, text), s).result(tok) for i, s in enumerate(first)]
    return out


def _refuse_alpha(base: Forcing) -> None:
    if base.alpha is not None:
        raise ValueError(
            "AlphaOne scheduling (forcing.alpha) cannot be swept from one run: its insertions depend on the budget "
            "and it refuses ignores; evaluate its settings one by one (s1lib.eval.methods)"
        )
