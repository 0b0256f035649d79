"""The transformers engine: a batched decode loop with one KV cache per batch that lives across every "Wait"
round and the forced answer suffix, so no token is ever prefilled twice.

Each step feeds one token per row: the next id of `sample.ids` the model has not seen (forced text) or, when
there is none, a token sampled from the last logits and handed to `sample.accept`. Forced text therefore costs one
decode step per token (a handful per sample), and the prompt is the only prefill.
"""

from __future__ import annotations

import torch

from s1lib.infer.forcing import Sample


class HFEngine:
    name = "hf"

    def __init__(self, model, tokenizer, batch_size: int = 8, progress=None):
        self.model, self.tokenizer = model, tokenizer
        self.batch_size = batch_size
        self.device = next(model.parameters()).device
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        self.progress = progress  # optional callable(n_tokens) for progress bars

    def run(self, samples: list[Sample], temperature: float = 0.0, top_p: float = 1.0, seed: int = 0) -> None:
        for start in range(0, len(samples), self.batch_size):
            batch = [s for s in samples[start : start + self.batch_size] if not s.done]
            if batch:
                self._run_batch(batch, temperature, top_p, seed + start)

    @torch.inference_mode()
    def _run_batch(self, batch: list[Sample], temperature: float, top_p: float, seed: int) -> None:
        generator = torch.Generator(device="cpu").manual_seed(seed)
        rows = list(batch)
        fed = [len(s.ids) for s in rows]
        width = max(fed)
        input_ids = torch.full((len(rows), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for r, s in enumerate(rows):  # left padding
            input_ids[r, width - fed[r] :] = torch.tensor(s.ids)
            mask[r, width - fed[r] :] = 1
        out = self.model(
            input_ids=input_ids.to(self.device), attention_mask=mask.to(self.device),
            position_ids=(mask.cumsum(-1) - 1).clamp(min=0).to(self.device), use_cache=True, logits_to_keep=1,
        )
        cache, logits = out.past_key_values, out.logits[:, -1, :].float()

        while rows:
            next_tokens, keep = [], []
            for r, s in enumerate(rows):
                while fed[r] == len(s.ids) and not s.done:  # an ignored end with "" appends nothing: pick again
                    s.accept(self._pick(logits[r], s, temperature, top_p, generator))
                if fed[r] < len(s.ids):
                    next_tokens.append(s.ids[fed[r]])
                    fed[r] += 1
                    keep.append(r)
                # else: the sample is done and leaves the batch
            if self.progress:
                self.progress(len(keep))
            if len(keep) < len(rows):
                if not keep:
                    return
                index = torch.tensor(keep, device=self.device)
                cache.batch_select_indices(index)
                mask = mask[keep]
                rows, fed = [rows[r] for r in keep], [fed[r] for r in keep]
            mask = torch.cat([mask, torch.ones((len(rows), 1), dtype=torch.long)], dim=1)
            out = self.model(
                input_ids=torch.tensor(next_tokens, device=self.device)[:, None],
                attention_mask=mask.to(self.device),
                position_ids=(mask.sum(-1, keepdim=True) - 1).to(self.device),
                past_key_values=cache, use_cache=True,
            )
            cache, logits = out.past_key_values, out.logits[:, -1, :].float()

    def _pick(self, logits: torch.Tensor, sample: Sample, temperature: float, top_p: float, generator) -> int:
        logits = logits[: sample.vocab.size].clone()  # never sample embedding rows past the tokenizer
        if sample.min_new > 0:
            logits[list(sample.stop_ids)] = float("-inf")
        if temperature == 0:
            return int(logits.argmax())
        probs = torch.softmax(logits / temperature, dim=-1)
        if top_p < 1.0:
            sorted_probs, order = probs.sort(descending=True)
            cut = sorted_probs.cumsum(-1) - sorted_probs > top_p
            sorted_probs[cut] = 0
            probs = torch.zeros_like(probs).scatter_(0, order, sorted_probs)
        return int(torch.multinomial(probs.cpu(), 1, generator=generator))
