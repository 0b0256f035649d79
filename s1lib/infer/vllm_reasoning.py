"""vLLM reasoning parser `s1`: splits a budget-forced response into `reasoning` (the think block) and `content` (the
answer, "Final Answer: ..." when the end was forced), and counts the thinking tokens for
`usage.completion_tokens_details.reasoning_tokens`.

Loaded by `s1lib serve` with `--reasoning-parser-plugin <this file> --reasoning-parser s1`. The delimiters are
special tokens, so the parser asks vLLM to keep special tokens in the text.

The count is the thinking tokens as the budget counts them (model tokens and ignore strings), read from the ids:
everything between the delimiters, less the newline forced before a forced end. When the model's own last thinking
token is a bare newline and the budget ends right there, that newline is taken for the forced one (one token less).
"""

from __future__ import annotations

from collections.abc import Sequence

from vllm.entrypoints.generate.base.protocol import DeltaMessage
from vllm.reasoning.abs_reasoning_parsers import ReasoningParser, ReasoningParserManager

from s1lib.format import encode
from s1lib.infer.forcing import Forcing, newline_token_ids


def find(ids: Sequence[int], sub: Sequence[int], start: int = 0) -> int:
    """Index of the first occurrence of `sub` in `ids` at or after `start`, or -1."""
    n = len(sub)
    for i in range(start, len(ids) - n + 1):
        if list(ids[i : i + n]) == list(sub):
            return i
    return -1


@ReasoningParserManager.register_module("s1")
class S1ReasoningParser(ReasoningParser):
    def __init__(self, tokenizer, *args, **kwargs):
        super().__init__(tokenizer, *args, **kwargs)
        forcing = Forcing()
        self.think, self.answer = forcing.think_start, forcing.answer_start
        self.forced = forcing.forced_answer
        self.think_ids = encode(tokenizer, self.think)
        self.answer_ids = encode(tokenizer, self.answer)
        self.forced_ids = encode(tokenizer, self.forced)
        self.newline_ids = encode(tokenizer, "\n")
        self.ends_with_newline = newline_token_ids(tokenizer)

    @property
    def reasoning_start_str(self) -> str:
        return self.think

    @property
    def reasoning_end_str(self) -> str:
        return self.answer

    def adjust_request(self, request):
        request.skip_special_tokens = False  # the delimiters are special tokens
        return request

    def is_reasoning_end(self, input_ids: Sequence[int]) -> bool:
        return find(input_ids, self.answer_ids) >= 0

    def extract_content_ids(self, input_ids: list[int]) -> list[int]:
        at = find(input_ids, self.answer_ids)
        return [] if at < 0 else list(input_ids[at + len(self.answer_ids) :])

    def count_reasoning_tokens(self, token_ids: Sequence[int]) -> int:
        ids = list(token_ids)
        start = find(ids, self.think_ids)
        start = 0 if start < 0 else start + len(self.think_ids)
        end = find(ids, self.answer_ids, start)
        if end < 0:
            return len(ids) - start
        thinking = ids[start:end]
        forced = ids[end + len(self.answer_ids) : end + len(self.answer_ids) + len(self.forced_ids)] == self.forced_ids
        n = len(self.newline_ids)
        if (
            forced
            and thinking[-n:] == self.newline_ids
            and not (len(thinking) > n and thinking[-n - 1] in self.ends_with_newline)
        ):
            return len(thinking) - n
        return len(thinking)

    def _parts(self, text: str) -> tuple[str, str]:
        """(reasoning, content) of a possibly unfinished text; a partial delimiter is held back."""
        if self.think not in text:
            if self.think.startswith(text):
                return "", ""  # the delimiter may still be coming
            return "", text  # a request without budget forcing: no think block
        body = text.split(self.think, 1)[1]
        if self.answer in body:
            reasoning, content = body.split(self.answer, 1)
            return reasoning, content.lstrip("\n")
        for k in range(len(self.answer) - 1, 0, -1):
            if body.endswith(self.answer[:k]):
                return body[:-k], ""
        return body, ""

    def extract_reasoning(self, model_output: str, request) -> tuple[str | None, str | None]:
        reasoning, content = self._parts(model_output)
        return reasoning.strip("\n") or None, content or None

    def extract_reasoning_streaming(
        self, previous_text, current_text, delta_text, previous_token_ids, current_token_ids, delta_token_ids
    ) -> DeltaMessage | None:
        before, now = self._parts(previous_text), self._parts(current_text)
        reasoning, content = now[0][len(before[0]) :], now[1][len(before[1]) :]
        if not reasoning and not content:
            return None
        return DeltaMessage(reasoning=reasoning or None, content=content or None)
