"""The miniature study's plumbing: the held-out questions, the training set on disk, the fine-tuned model (trained
once, cached), and the profile pointed at it."""

from __future__ import annotations

from pathlib import Path

from s1lib.question import Question
from s1lib.mini.letters import items, training_rows
from s1lib.params import with_model
from s1lib.paths import runs_dir, write_jsonl_if_changed

BENCHMARK = "mini-letters"


def held_out_questions(mini) -> list[Question]:
    return [
        Question(item.id, item.question, str(item.count), "integer", {"letter": item.letter, "text": item.text})
        for item in items(mini, "test")
    ]


def write_training_set(params) -> Path:
    """`runs/<profile>/data/mini-letters.jsonl`, rewritten only when its content changes."""
    return write_jsonl_if_changed(runs_dir(params.profile) / "data" / f"{BENCHMARK}.jsonl", training_rows(params.mini))


def training_params(params):
    """The profile with the miniature's base model and recipe (float32: the recipe's mixed precision decides)."""
    pointed = with_model(params, params.mini.model, tokenizer=None, dtype="float32")
    return pointed.model_copy(update={"train": params.mini.train})


def ensure_model(params, progress: bool = True) -> Path:
    """The fine-tuned miniature model (`final/` folder); trains only when this data and recipe were not trained."""
    from s1lib.train import train

    return train(training_params(params), str(write_training_set(params)), progress=progress)


def study_params(params, model: str | Path | None = None, benchmark: str = BENCHMARK):
    """The profile for a miniature study: pointed at `model` (default: the profile's) and the miniature `benchmark`
    (mini-letters, or Table 2's mini-pool), with that study's forcing and the miniatures' precision and batch."""
    forcing = {"mini-letters": params.mini.forcing, "mini-pool": params.mini_pool.forcing}[benchmark]
    return with_model(params, model or params.model.name, tokenizer=None, dtype=params.mini.dtype).model_copy(
        update={
            "forcing": forcing,
            "engine": params.engine.model_copy(update={"batch_size": params.mini.batch_size}),
            "eval": params.eval.model_copy(update={"benchmarks": [benchmark]}),
        }
    )
