"""Budget forcing (`forcing`), the engines (`hf`, `vllm_engine`) and the one entry point, `generate`
(`generate.py`)."""

from s1lib.infer.forcing import Forcing, Generation
from s1lib.infer.generate import (
    ContextError,
    check_context,
    generate,
    generate_many,
    lazy_engine,
    make_engine,
    prompt_ids,
    resolve_budget,
    run_samples,
)

__all__ = [
    "ContextError",
    "Forcing",
    "Generation",
    "check_context",
    "generate",
    "generate_many",
    "lazy_engine",
    "make_engine",
    "prompt_ids",
    "resolve_budget",
    "run_samples",
]
