"""Where a server puts the reasoning: a separate field (vLLM and SGLang reasoning parsers call it `reasoning` or
`reasoning_content`, as DeepSeek's API does), `<think>...</think>` at the start of the text (R1-style models served
without a parser), or this project's own `<|im_start|>think ... <|im_start|>answer` (`s1lib serve` without its
parser, or a model fine-tuned here)."""

from __future__ import annotations

import re

from s1lib.format import ANSWER, THINK

FIELDS = ("reasoning_content", "reasoning")
THINK_TAGS = re.compile(r"^\s*<think>(.*?)(?:</think>|$)(.*)", re.S)


def split_reasoning(message: dict) -> tuple[str, str, str]:
    """(thinking, answer, where the thinking was found: a field name, "think-tags", "s1-delimiters" or "none")."""
    content = message.get("content") or ""
    for name in FIELDS:
        if message.get(name):
            return message[name].strip(), content.strip(), name
    tagged = THINK_TAGS.match(content)
    if tagged:
        return tagged.group(1).strip(), tagged.group(2).strip(), "think-tags"
    if THINK in content:
        body = content.split(THINK, 1)[1]
        thinking, _, answer = body.partition(ANSWER)
        return thinking.strip(), answer.strip(), "s1-delimiters"
    return "", content.strip(), "none"
