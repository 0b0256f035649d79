"""`generate`: budget forcing on a list of questions with any engine (the state machine is `forcing.Sample`; the
engines are `hf.HFEngine` and `vllm_engine.VLLMEngine`), and making the engine a profile asks for."""

from __future__ import annotations

import functools

from tqdm.auto import tqdm

from s1lib.errors import UserError
from s1lib.format import chat_prompt, encode
from s1lib.infer.forcing import Forcing, Generation, Sample, Vocab, auto_budget


def resolve_budget(forcing: Forcing, vocab: Vocab, prompt_lengths: list[int]) -> int | None:
    if forcing.max_thinking == "auto":
        return auto_budget(forcing, vocab, prompt_lengths)
    return forcing.max_thinking


def prompt_ids(tokenizer, questions: list[str]) -> list[list[int]]:
    """Chat-template prompts (generation prompt included, think delimiter not yet) as token ids."""
    return [encode(tokenizer, chat_prompt(tokenizer, q)) for q in questions]


class ContextError(UserError, ValueError):
    """A prompt or a thinking budget that does not fit the model's context."""


def check_context(
    context: int | None, prompts: list[list[int]], budget: int | None, forcing: Forcing, vocab: Vocab
) -> None:
    """Refuse, before any decoding, what would run past the model's context (the transformers engine would
    silently produce garbage there; vLLM refuses such a request)."""
    if not context:
        return
    delimiters = len(vocab.think_start) + len(vocab.newline) + len(vocab.forced_end)
    for i, p in enumerate(prompts, 1):
        if len(p) + delimiters + 1 > context:
            raise ContextError(
                f"question {i}: its prompt is {len(p):,} tokens, which with the thinking delimiters "
                f"leaves no room in the model's context of {context:,} tokens; shorten the question"
            )
    longest = max(len(p) for p in prompts)
    thinking = budget if budget is not None else forcing.max_generation
    if longest + delimiters + thinking > context:
        what = (
            f"a thinking budget of {budget:,} tokens"
            if budget is not None
            else f"uncapped thinking (max_generation {forcing.max_generation:,})"
        )
        raise ContextError(
            f"{what} after the longest prompt ({longest:,} tokens) needs "
            f"{longest + delimiters + thinking:,} tokens, more than the model's context of {context:,}; "
            f"lower --max-thinking / forcing.max_thinking (or max_generation, which 'auto' fills)"
        )


SEED_STRIDE = 7_919  # question i of a job draws from seed + i * SEED_STRIDE
RETRY_STRIDE = 100_003  # and its rejection-sampling try t (from 0) from that + t * RETRY_STRIDE


def generate(engine, questions: list[str], forcing: Forcing = Forcing(), progress: bool = True) -> list[Generation]:
    """Run budget forcing on `questions` (raw user messages) with any engine; one `Generation` per question."""
    return generate_many(engine, [(questions, forcing)], progress)[0]


def generate_many(engine, jobs: list[tuple], progress: bool = False) -> list[list[Generation]]:
    """`generate` for several (questions, forcing) jobs, one list of generations per job, all sharing the engine's
    batches: each sample carries its own settings and seed, so where decoding is batch-invariant (fp32 on CPU) a
    job's generations are those of `generate` alone, and many small jobs cost about as much as one large one. A job
    may name each question's seed, (questions, forcing, seeds), so that a question draws the same wherever it runs."""
    results = []
    for samples, tries in run_jobs(engine, jobs, progress):
        results.append([s.result(engine.tokenizer) for s in samples])
        for r, t in zip(results[-1], tries):
            r.tries = t
    return results


def build_samples(engine, questions: list[str], forcing: Forcing, seeds: list[int] | None = None) -> list[Sample]:
    """One fresh `Sample` per question, its budget resolved ('auto' over these questions) and checked against the
    engine's context, question i seeded with `seeds[i]` (default `forcing.seed + i * SEED_STRIDE`)."""
    tokenizer = engine.tokenizer
    vocab = Vocab.build(tokenizer, forcing)
    prompts = prompt_ids(tokenizer, questions)
    budget = resolve_budget(forcing, vocab, [len(p) for p in prompts])
    check_context(getattr(engine, "context_length", None), prompts, budget, forcing, vocab)
    seeds = seeds or [forcing.seed + i * SEED_STRIDE for i in range(len(prompts))]
    return [Sample(p, forcing, vocab, budget, seed=seed) for p, seed in zip(prompts, seeds, strict=True)]


def run_samples(
    engine, questions: list[str], forcing: Forcing, progress: bool = False
) -> tuple[list[Sample], list[int]]:
    """The finished `Sample`s (with rejection sampling applied) and how many tries each took."""
    return run_jobs(engine, [(questions, forcing)], progress)[0]


def run_jobs(engine, jobs: list[tuple], progress: bool = False) -> list[tuple[list[Sample], list[int]]]:
    """(finished samples, tries per sample) for each job, every job in one engine call; rejection sampling then
    redoes, in one call per try, the samples of every job whose thinking hit the cap, each try seeded apart."""
    samples = [build_samples(engine, *job) if job[0] else [] for job in jobs]
    tries = [[1] * len(s) for s in samples]
    pooled = [s for job in samples for s in job]
    with tqdm(total=len(pooled), desc=f"generate ({engine.name})", unit="q", disable=not progress) as bar:
        if pooled:
            engine.run(pooled)
        for attempt in range(1, max((job[1].rejection_tries for job in jobs), default=0)):
            redo = [
                (j, i)
                for j, job in enumerate(jobs)
                if attempt < job[1].rejection_tries
                for i, s in enumerate(samples[j])
                if s.forced_end
            ]
            if not redo:
                break
            for j, i in redo:
                old = samples[j][i]
                samples[j][i] = Sample(
                    old.ids[: old.prompt_len], old.forcing, old.vocab, old.budget, seed=old.seed + RETRY_STRIDE
                )
                tries[j][i] += 1
            engine.run([samples[j][i] for j, i in redo])
        bar.update(len(pooled))
    return list(zip(samples, tries))


def make_engine(params, tokenizer=None):
    """The engine a profile asks for (`params.engine.name`), loaded with the profile's model."""
    from s1lib.models import load_model, resolve_model

    if params.engine.name == "vllm":
        from s1lib.infer.vllm_engine import VLLMEngine

        return VLLMEngine(
            resolve_model(params.model.name),
            tokenizer=params.model.tokenizer and resolve_model(params.model.tokenizer),
            dtype=params.model.dtype,
            tensor_parallel_size=params.engine.tensor_parallel_size,
            gpu_memory_utilization=params.engine.gpu_memory_utilization,
            max_model_len=params.engine.max_model_len,
            enforce_eager=params.engine.enforce_eager,
            seed=params.forcing.seed,
            driver=params.engine.vllm_driver,
        )
    from s1lib.infer.hf import HFEngine

    model, own_tokenizer = load_model(params.model.name, params.model.dtype, params.model.device)
    if params.model.tokenizer:
        from s1lib.models import load_tokenizer

        own_tokenizer = load_tokenizer(params.model.tokenizer)
    return HFEngine(model, tokenizer or own_tokenizer, batch_size=params.engine.batch_size)


def lazy_engine(params):
    """A zero-argument callable that makes the profile's engine on first call and returns the same one after."""
    return functools.cache(lambda: make_engine(params))
