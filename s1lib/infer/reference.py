"""A deliberately simple budget-forcing loop, written independently of `Sample`, for parity tests.

It has the harness's shape (every round re-submits the whole sequence, no cache kept between rounds; the stop token
is stripped, the ignore string appended, the answer delimiter appended at the end) but this project's rules where
the two differ (docs/budget-forcing.md, "Budget forcing, precisely"): the budget counts ignore strings and is never
exceeded, the forced delimiter follows from a spent budget, the newline before it is decided on ids, `min_thinking`
is kept with ignores. The fast engines must produce the same greedy tokens. It supports the default single-token
stops only.
"""

from __future__ import annotations

from collections.abc import Callable

from s1lib.infer.forcing import Forcing, Vocab

# complete(ids, max_new, min_new, stop_ids) -> new ids (stop token included when it stopped)
Complete = Callable[[list[int], int, int, frozenset[int]], list[int]]


def reference_generate(
    complete: Complete, vocab: Vocab, prompt_ids: list[int], forcing: Forcing, budget: int | None
) -> tuple[list[int], int, bool]:
    """(token ids after the prompt, ignores applied, forced end)."""
    cap = budget if budget is not None else forcing.max_generation
    head = list(prompt_ids) + list(vocab.think_start)
    thinking: list[int] = []
    n_ignored, forced, min_next = 0, False, 0
    while True:
        remaining = cap - len(thinking)
        if remaining <= 0:
            forced = True
            break
        new = complete(head + thinking, remaining, max(min_next, forcing.min_thinking - len(thinking)), vocab.stop_ids)
        stopped = bool(new) and new[-1] in vocab.stop_ids
        thinking += new[:-1] if stopped else new
        if not stopped:
            forced = True
            break
        if n_ignored < forcing.ignore and cap - len(thinking) - len(vocab.ignore) >= 1:
            thinking += list(vocab.ignore)
            n_ignored, min_next = n_ignored + 1, 1
            continue
        break
    if forced:
        last = (head + thinking)[-1]
        suffix = ([] if last in vocab.ends_with_newline else list(vocab.newline)) + list(vocab.forced_end)
    else:
        suffix = list(vocab.natural_end)
    answer = complete(head + thinking + suffix, forcing.max_answer, 0, vocab.answer_stop_ids)
    if answer and answer[-1] in vocab.answer_stop_ids:
        answer = answer[:-1]
    return list(vocab.think_start) + thinking + suffix + answer, n_ignored, forced


def hf_complete(model, pad_id: int) -> Complete:
    """One plain `model.generate` call per round: greedy, nothing carried over from earlier rounds."""
    import torch
    from transformers import GenerationConfig

    def complete(ids, max_new, min_new, stop_ids):
        config = GenerationConfig(
            do_sample=False,
            max_new_tokens=max_new,
            min_new_tokens=min_new,
            eos_token_id=sorted(stop_ids),
            pad_token_id=pad_id,
        )
        with torch.inference_mode():
            out = model.generate(
                torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long), generation_config=config
            )
        return out[0, len(ids) :].tolist()

    return complete
