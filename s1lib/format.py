"""The s1 text format, for training and for inference.

Delimiters are plain text after the ChatML `<|im_start|>` token, never new special tokens:

    <|im_start|>assistant
    <|im_start|>think
    {thinking}
    <|im_start|>answer
    Answer: {attempt}<|im_end|>

No system message is passed, so the chat template injects the model's default system prompt (Qwen's "You are
Qwen, created by Alibaba Cloud..."), exactly as the official SFT data and evaluation prompts do.
"""

from __future__ import annotations

from collections.abc import Sequence

THINK = "<|im_start|>think"
ANSWER = "<|im_start|>answer"
FORCED_ANSWER = "\nFinal Answer:"  # appended after ANSWER when the thinking budget runs out


def assistant_content(thinking: str | Sequence[str], attempt: str) -> str:
    """The assistant turn of an SFT example: think block, answer block, "Answer: " unless already there."""
    trace = thinking if isinstance(thinking, str) else "\n".join(thinking)
    answer = attempt if "Answer:" in attempt else "Answer: " + attempt
    return f"{THINK}\n{trace.strip()}\n{ANSWER}\n{answer.strip()}"


def sft_text(tokenizer, question: str, thinking: str | Sequence[str], attempt: str) -> str:
    """The full training string (official `data/tokenization.py` behaviour)."""
    messages = [
        {"role": "user", "content": question},
        {"role": "assistant", "content": assistant_content(thinking, attempt)},
    ]
    return tokenizer.apply_chat_template(messages, tokenize=False)


def chat_prompt(tokenizer, question: str) -> str:
    """Chat template with the generation prompt, before the think delimiter."""
    return tokenizer.apply_chat_template(
        [{"role": "user", "content": question}], tokenize=False, add_generation_prompt=True
    )


def encode(tokenizer, text: str) -> list[int]:
    """Token ids of `text` with no BOS/EOS added (ChatML strings already carry their special tokens)."""
    return list(tokenizer(text, add_special_tokens=False)["input_ids"])
