"""SFT examples: the s1 text, tokenized, with the loss mask of the official recipe.

The loss covers the assistant turn only: everything from `<|im_start|>think` to the final `<|im_end|>`, which is
trained (the model must learn to stop), and nothing of the system prompt, the question or the
`<|im_start|>assistant\\n` header. The text ends at that `<|im_end|>`; the template's trailing newline is dropped.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

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


def load_rows(subset: str, profile: str) -> list[dict]:
    """Training rows: a JSONL file, a selection written by `02_data_selection` / `s1lib select`
    (`runs/<profile>/data/<subset>.jsonl`), or a pool name (s1K, s1K-1.1, smoke-pool)."""
    from s1lib.data.pool import POOLS, load_pool
    from s1lib.paths import runs_dir

    path = Path(subset)
    if not path.is_file():
        path = runs_dir(profile) / "data" / f"{subset}.jsonl"
    if path.is_file():
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    if subset in POOLS:
        return load_pool(subset)
    raise FileNotFoundError(f"training subset '{subset}': no such file, no {path}, and not a pool ({', '.join(POOLS)}). "
                            f"Run notebooks/02_data_selection.ipynb or `s1lib select` first.")


def build_dataset(tokenizer, rows: list[dict], block_size: int):
    """A `datasets.Dataset` of tokenized examples, and the hash of its content (for caching and the manifest)."""
    from datasets import Dataset

    examples = [tokenize_example(tokenizer, r["question"], r["thinking_trajectories"], r["attempt"], block_size)
                for r in rows]
    digest = hashlib.sha256(json.dumps([e["input_ids"] for e in examples]).encode()).hexdigest()[:16]
    truncated = sum(e.pop("truncated") for e in examples)
    return Dataset.from_list(examples), digest, truncated
