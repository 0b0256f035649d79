"""Evaluate one model + budget-forcing setting on one benchmark, resumably.

`out/samples.jsonl` gets one line per finished question, flushed and synced as it finishes, so a crash or Ctrl-C
loses at most the batch in flight; rerunning the same command generates only the missing questions.
`out/config.json` pins the settings by hash: a run with any changed setting refuses to reuse the folder.
`out/metrics.json` is rewritten at the end with accuracy, its 95% bootstrap interval and thinking-token statistics.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from tqdm.auto import tqdm

from s1lib.benchmarks import questions_for
from s1lib.eval.grade import Grade, grade_many
from s1lib.eval.metrics import paper_thinking_tokens
from s1lib.eval.records import (EvalError, append_sample, check_folder, config_hash, read_samples,  # noqa: F401
                                run_config, summarize, write_metrics)
from s1lib.infer import Forcing, generate, prompt_ids, resolve_budget
from s1lib.infer.forcing import Vocab
from s1lib.question import Question


def evaluate(params, benchmark: str, out: str | Path, engine=None, progress: bool = True,
             shard: tuple[int, int] | None = None) -> dict:
    """Run (or resume) `benchmark` with the profile's model and forcing; returns the metrics written to disk.
    `engine` may be an engine, a zero-argument callable that makes one (called only if work is left), or None.
    With `engine.data_parallel_size` > 1 (and no engine given) the questions are split between that many engine
    processes (`s1lib.eval.parallel`); `shard=(i, n)` is one of them: questions i, i+n, ... ('auto' budgets are
    still resolved over the whole benchmark, so the samples equal a single process's)."""
    if shard is None and engine is None and params.engine.data_parallel_size > 1:
        from s1lib.eval.parallel import evaluate_parallel

        return evaluate_parallel(params, benchmark, out, progress)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise EvalError(f"--out {out} is a file; an evaluation writes a folder (samples.jsonl, metrics.json, ...)")
    out.mkdir(parents=True, exist_ok=True)
    everything = questions_for(params, benchmark)
    questions = everything[shard[0]::shard[1]] if shard else everything
    config = run_config(params, benchmark, questions)
    digest = config_hash(config)
    samples_file = out / "samples.jsonl"
    done = {s["id"]: s for s in read_samples(samples_file)}
    check_folder(out, config, digest, has_samples=bool(done))
    todo = [q for q in questions if q.id not in done]
    start = time.time()
    if todo:
        engine = engine() if callable(engine) and not hasattr(engine, "run") else engine or _engine(params)
        forcing = _forcing_for(params, engine.tokenizer, everything)
        tokens = 0
        with samples_file.open("a") as fh, tqdm(total=len(questions), initial=len(done), unit="q", disable=not progress,
                                                desc=f"{benchmark} ({engine.name})") as bar:
            step = params.engine.batch_size if engine.name == "hf" else len(todo)
            for i in range(0, len(todo), step):
                chunk = todo[i:i + step]
                gens = generate(engine, [q.prompt for q in chunk], forcing, progress=False)
                grades = grade_many([(q.kind, g.text, q.gold, q.prompt) for q, g in zip(chunk, gens)])
                for q, g, result in zip(chunk, gens, grades):
                    row = _sample_row(q, g, result, params.eval)
                    append_sample(fh, row)
                    done[q.id] = row
                    tokens += g.thinking_tokens + g.answer_tokens
                bar.update(len(chunk))
                elapsed = time.time() - start
                bar.set_postfix(q_per_s=f"{bar.n / max(elapsed, 1e-9):.2f}", tok_per_s=f"{tokens / max(elapsed, 1e-9):.1f}")
    samples = [done[q.id] for q in questions]
    metrics = write_metrics(out, samples, config, {"engine": config["engine"], "grader": params.eval.grader,
                                                   "wall_s_last_run": round(time.time() - start, 1)})
    return metrics


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
        "id": q.id, "prompt": q.prompt, "gold": q.gold, "kind": q.kind, "text": g.text, "thinking": g.thinking,
        "answer": g.answer, "extracted": result.extracted, "correct": result.correct, "grader": result.grader,
        "grade_reason": result.reason, "thinking_tokens": g.thinking_tokens, "paper_thinking_tokens": paper_thinking_tokens(g.text),
        "answer_tokens": g.answer_tokens, "n_ignored": g.n_ignored,
        "n_ignore_skipped": g.n_ignore_skipped, "forced_end": g.forced_end, "budget": g.budget,
        "tries": g.tries,
    }
