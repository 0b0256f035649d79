"""SFT examples: the s1 text, tokenized, with the loss mask of the official recipe.

The loss covers the assistant turn only: everything from `<|im_start|>think` to the final `<|im_end|>`, which is
trained (the model must learn to stop), and nothing of the system prompt, the question or the
`<|im_start|>assistant\\n` header. The text ends at that `<|im_end|>`; the template's trailing newline is dropped.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import NamedTuple

from s1lib.format import encode, sft_text

ASSISTANT_HEADER = "<|im_start|>assistant\n"
END = "<|im_end|>"


def tokenize_example(tokenizer, question: str, thinking, attempt: str, block_size: int) -> dict:
    """{"input_ids", "completion_mask"} for one example, truncated on the right to `block_size`."""
    text = sft_text(tokenizer, question, thinking, attempt)
    text = text[: text.rindex(END) + len(END)]
    prompt = text[: text.rindex(ASSISTANT_HEADER) + len(ASSISTANT_HEADER)]
    prompt_ids, ids = encode(tokenizer, prompt), encode(tokenizer, text)
    if ids[: len(prompt_ids)] != prompt_ids:  # cannot happen for ChatML: the completion starts with a special token
        raise ValueError("the prompt's tokens are not a prefix of the full example's tokens")
    mask = [0] * len(prompt_ids) + [1] * (len(ids) - len(prompt_ids))
    return {"input_ids": ids[:block_size], "completion_mask": mask[:block_size], "truncated": len(ids) > block_size}


TRAINING_SCHEMA = {"question": (str,), "thinking_trajectories": (list, str), "attempt": (str,)}


def load_rows(subset: str, profile: str) -> list[dict]:
    """Training rows: a JSONL file, a selection written by `02_data_selection` / `s1lib select`
    (`runs/<profile>/data/<subset>.jsonl`), or a pool name (s1K, s1K-1.1, smoke-pool). Every row must have the
    fields SFT reads; the first that does not is named by file and line (`DataError`)."""
    from s1lib.data.pool import POOLS, load_pool
    from s1lib.data.sources import DataError, check_rows, read_jsonl
    from s1lib.paths import runs_dir

    path = Path(subset)
    if not path.is_file():
        path = runs_dir(profile) / "data" / f"{subset}.jsonl"
    if path.is_file():
        rows, lines = read_jsonl(path, f"training subset '{subset}'", with_lines=True)
        return check_rows(rows, TRAINING_SCHEMA, f"training subset {path}", lines)
    if subset in POOLS:
        return check_rows(load_pool(subset), TRAINING_SCHEMA, f"training pool '{subset}'")
    raise DataError(
        f"training subset '{subset}': no such file, no {path}, and not a pool ({', '.join(POOLS)}). "
        f"Run notebooks/02_data_selection.ipynb or `s1lib select` first."
    )


class Built(NamedTuple):
    dataset: object  # datasets.Dataset
    digest: str
    truncated: int  # examples cut at the block size (their completion partly trained)
    dropped: int  # examples whose prompt alone fills the block: no completion token is left to train on


def build_dataset(tokenizer, rows: list[dict], block_size: int) -> Built:
    """A `datasets.Dataset` of tokenized examples, the hash of its content (for caching and the manifest), and
    how many were truncated or dropped. trl drops fully masked examples with a log line only; they are dropped
    here, counted, and an empty result is refused."""
    from datasets import Dataset

    from s1lib.data.sources import DataError

    examples = [
        tokenize_example(tokenizer, r["question"], r["thinking_trajectories"], r["attempt"], block_size) for r in rows
    ]
    kept = [e for e in examples if any(e["completion_mask"])]
    if not kept:
        raise DataError(
            f"all {len(examples)} training examples are dropped: their prompts fill the block size "
            f"({block_size} tokens) and leave nothing to train on; raise train.max_length"
        )
    digest = hashlib.sha256(json.dumps([e["input_ids"] for e in kept]).encode()).hexdigest()[:16]
    truncated = sum(e.pop("truncated") for e in kept)
    return Built(Dataset.from_list(kept), digest, truncated, len(examples) - len(kept))
