"""Test doubles shared by several test files."""


class ScriptedEngine:
    """Emits tokens from `script(sample, i)` and, like vLLM, works in rounds of whole segments.
    Stop tokens are skipped (replaced by `filler`) while the sample says they are suppressed. Every round and
    every request is recorded so tests can check what engines are asked to do."""

    name = "scripted"

    def __init__(self, tokenizer, script, filler):
        self.tokenizer, self.script, self.filler = tokenizer, script, filler
        self.rounds: list[list[tuple[int, int]]] = []  # per round: (max_new, min_new) of each request

    def run(self, samples):
        while active := [s for s in samples if not s.done]:
            self.rounds.append([(s.max_new, s.min_new) for s in active])
            for s in active:
                assert s.max_new >= 1, "a segment was requested with no budget left"
                segment, produced = s.segment_id, 0
                while s.segment_id == segment and not s.done:
                    token = self.script(s, len(s.ids), s.seed)
                    if (token in s.stop_ids and produced < s.min_new) or token in s.banned_ids:
                        token = self.filler
                    s.accept(token)
                    produced += 1
