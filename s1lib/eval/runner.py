"""Evaluate one model + budget-forcing setting on one benchmark, resumably (`evaluate`), or several settings and
benchmarks of one model at once, sharing the engine's batches (`evaluate_many`).

`out/samples.jsonl` gets one line per finished question, flushed and synced as it finishes, so a crash or Ctrl-C
loses at most the batch in flight; rerunning the same command generates only the missing questions.
`out/config.json` pins the settings by hash: a run with any changed setting refuses to reuse the folder.
`out/metrics.json` is rewritten at the end with accuracy, its 95% bootstrap interval and thinking-token statistics.
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path

from tqdm.auto import tqdm

from s1lib.tasks import questions_for
from s1lib.eval.grade import Grade, grade_many
from s1lib.eval.metrics import paper_thinking_tokens
from s1lib.eval.records import EvalError, append_sample, check_folder, read_samples, run_config, write_metrics
from s1lib.eval.records import summarize  # noqa: F401  (re-exported: callers read a run's summary from the runner)
from s1lib.infer import Forcing, generate_many, prompt_ids, resolve_budget
from s1lib.infer.forcing import Vocab
from s1lib.infer.generate import SEED_STRIDE
from s1lib.question import Question


def evaluate(
    params, benchmark: str, out: str | Path, engine=None, progress: bool = True, shard: tuple[int, int] | None = None
) -> dict:
    """Run (or resume) `benchmark` with the profile's model and forcing; returns the metrics written to disk.
    `engine` may be an engine, a zero-argument callable that makes one (called only if work is left), or None.
    With `engine.data_parallel_size` > 1 (and no engine given) the questions are split between that many engine
    processes (`s1lib.eval.parallel`); `shard=(i, n)` is one of them: questions i, i+n, ... ('auto' budgets are
    still resolved over the whole benchmark, so the samples equal a single process's)."""
    if shard is None and engine is None and params.engine.data_parallel_size > 1:
        from s1lib.eval.parallel import evaluate_parallel

        return evaluate_parallel(params, benchmark, out, progress)
    return evaluate_many([(params, benchmark, out)], engine, progress, shard)[0]


@dataclass(eq=False)  # identity: runs key dicts
class _Run:
    params: object
    benchmark: str
    out: Path
    everything: list[Question]  # the whole benchmark: 'auto' is resolved over it
    questions: list[Question]  # this run's (a shard's) questions
    config: dict
    done: dict[str, dict]

    @property
    def todo(self) -> list[Question]:
        return [q for q in self.questions if q.id not in self.done]


def evaluate_many(
    runs: list[tuple], engine=None, progress: bool = True, shard: tuple[int, int] | None = None
) -> list[dict]:
    """`evaluate` for several (params, benchmark, out) runs of one model with one engine; returns their metrics.
    The unfinished questions of every run share the engine's batches (`generate_many`), so several small runs
    (settings, benchmarks) cost about as much as one of their combined size. A sampled question draws from the
    run's seed and its place in the benchmark, so its sample is the same alone, pooled, resumed or in a shard.
    Every folder is checked before any decoding starts."""
    opened = [_open(params, benchmark, out, shard) for params, benchmark, out in runs]
    start = time.time()
    if todo := [run for run in opened if run.todo]:
        engine = engine() if callable(engine) and not hasattr(engine, "run") else engine or _engine(opened[0].params)
        _generate_into(todo, engine, progress)
    return [
        write_metrics(
            run.out,
            [run.done[q.id] for q in run.questions],
            run.config,
            {
                "engine": run.config["engine"],
                "grader": run.params.eval.grader,
                "wall_s_last_run": round(time.time() - start, 1),
            },
        )
        for run in opened
    ]


def _open(params, benchmark: str, out: str | Path, shard: tuple[int, int] | None) -> _Run:
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise EvalError(f"--out {out} is a file; an evaluation writes a folder (samples.jsonl, metrics.json, ...)")
    out.mkdir(parents=True, exist_ok=True)
    everything = questions_for(params, benchmark)
    questions = everything[shard[0] :: shard[1]] if shard else everything
    config = run_config(params, benchmark, questions)
    done = {s["id"]: s for s in read_samples(out / "samples.jsonl")}
    check_folder(out, config, has_samples=bool(done))
    return _Run(params, benchmark, out, everything, questions, config, done)


def _generate_into(runs: list[_Run], engine, progress: bool) -> None:
    """Generate, grade and append every unfinished question of `runs`, a batch at a time across the runs."""
    work = [(run, q) for run in runs for q in run.todo]
    forcing = {run: _forcing_for(run.params, engine.tokenizer, run.everything) for run in runs}
    seed = {run: {q.id: forcing[run].seed + i * SEED_STRIDE for i, q in enumerate(run.everything)} for run in runs}
    step = runs[0].params.engine.batch_size if engine.name == "hf" else len(work)
    total, initial = sum(len(r.questions) for r in runs), sum(len(r.done) for r in runs)
    desc = f"{', '.join(dict.fromkeys(r.benchmark for r in runs))} ({engine.name})"
    start, tokens = time.time(), 0
    with ExitStack() as stack:
        files = {run: stack.enter_context((run.out / "samples.jsonl").open("a")) for run in runs}
        bar = stack.enter_context(tqdm(total=total, initial=initial, unit="q", disable=not progress, desc=desc))
        for i in range(0, len(work), step):
            chunk = work[i : i + step]
            groups = [(run, [q for r, q in chunk if r is run]) for run in dict.fromkeys(r for r, _ in chunk)]
            jobs = [([q.prompt for q in qs], forcing[run], [seed[run][q.id] for q in qs]) for run, qs in groups]
            for (run, qs), gens in zip(groups, generate_many(engine, jobs)):
                grades = grade_many([(q.kind, g.text, q.gold, q.prompt) for q, g in zip(qs, gens)])
                for q, g, result in zip(qs, gens, grades):
                    row = _sample_row(q, g, result, run.params.eval)
                    append_sample(files[run], row)
                    run.done[q.id] = row
                    tokens += g.thinking_tokens + g.answer_tokens
            bar.update(len(chunk))
            elapsed = max(time.time() - start, 1e-9)
            bar.set_postfix(q_per_s=f"{(bar.n - initial) / elapsed:.2f}", tok_per_s=f"{tokens / elapsed:.1f}")


def _engine(params):
    from s1lib.infer import make_engine

    return make_engine(params)


def _forcing_for(params, tokenizer, questions: list[Question]) -> Forcing:
    """'auto' is resolved over the whole benchmark (the harness's batch), so a resumed run gets the same budget."""
    forcing = params.forcing
    if forcing.max_thinking == "auto":
        vocab = Vocab.build(tokenizer, forcing)
        lengths = [len(p) for p in prompt_ids(tokenizer, [q.prompt for q in questions])]
        forcing = replace(forcing, max_thinking=resolve_budget(forcing, vocab, lengths))
    return forcing


def _sample_row(q: Question, g, result: Grade, eval_params) -> dict:
    if eval_params.grader == "llm-judge" and not result.correct and result.extracted is not None:
        from s1lib.eval.judge import judge_equivalent

        result = judge_equivalent(q, result, model=eval_params.judge_model, base_url=eval_params.judge_base_url)
    return {
        "id": q.id,
        "prompt": q.prompt,
        "gold": q.gold,
        "kind": q.kind,
        "text": g.text,
        "thinking": g.thinking,
        "answer": g.answer,
        "extracted": result.extracted,
        "correct": result.correct,
        "grader": result.grader,
        "grade_reason": result.reason,
        "thinking_tokens": g.thinking_tokens,
        "paper_thinking_tokens": paper_thinking_tokens(g.text),
        "answer_tokens": g.answer_tokens,
        "n_ignored": g.n_ignored,
        "n_ignore_skipped": g.n_ignore_skipped,
        "forced_end": g.forced_end,
        "budget": g.budget,
        "tries": g.tries,
    }
