"""The transformers engine: a batched decode loop with one KV cache per batch that lives across every "Wait"
round and the forced answer suffix, so no token is ever prefilled twice; rows that extend one another (a sweep's
answer branches) share their common prefix's cache.

Each step feeds one token per row: the next id of `sample.ids` the model has not seen (forced text) or, when
there is none, a token sampled from the last logits and handed to `sample.accept`. Forced text therefore costs one
decode step per token (a handful per sample), and what a row holds when its batch starts is the only prefill
(`_prefill`: anchors first, then each row's unshared ids). A finished row idles, masked, until half the batch or
`MAX_IDLE` rows have finished; the batch is then compacted to its live rows (a compaction copies the cache).
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from transformers import AttentionInterface, AttentionMaskInterface, DynamicCache
from transformers.cache_utils import DynamicLayer
from transformers.integrations.sdpa_attention import sdpa_attention_forward
from transformers.masking_utils import sdpa_mask

from s1lib.infer.forcing import Sample

GROUPED_SDPA = "s1lib_grouped_sdpa"
MAX_UNSHARED = 32  # a row copies an anchor's cache when at most this many of its ids are left to feed
MAX_IDLE = 8  # finished rows a batch keeps decoding, masked, before it compacts (on CPU 5 rows cost a step what 8 do)
ROOM = 128  # positions a cache layer keeps free past its end, so a decode step writes instead of copying


class Padded(NamedTuple):
    ids: torch.Tensor
    mask: torch.Tensor
    positions: torch.Tensor
    lengths: list[int]


def left_pad(seqs: list[list[int]], pad_id: int) -> Padded:
    lengths = [len(q) for q in seqs]
    width = max(lengths)
    ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    for r, q in enumerate(seqs):
        if q:
            ids[r, width - len(q) :] = torch.tensor(q)
            mask[r, width - len(q) :] = 1
    return Padded(ids, mask, (mask.cumsum(-1) - 1).clamp(min=0), lengths)


def common_prefix(a: list[int], b: list[int]) -> int:
    n = min(len(a), len(b))
    differ = (torch.tensor(a[:n]) != torch.tensor(b[:n])).nonzero()
    return int(differ[0]) if len(differ) else n


def share_prefixes(seqs: list[list[int]]) -> tuple[list[int], list[tuple[int, int]]]:
    """(anchor rows, per row (anchor's index in anchors, leading ids taken from its cache)). Every row keeps at
    least its last id to feed, so the final pass yields logits for every row; anchors are cached up to their
    last id, which covers what any row sharing them takes (rows are matched longest first)."""
    anchors: list[int] = []
    shared: list[tuple[int, int]] = [(0, 0)] * len(seqs)
    for r in sorted(range(len(seqs)), key=lambda r: -len(seqs[r])):
        best = max(
            ((a, min(common_prefix(seqs[anchors[a]], seqs[r]), len(seqs[r]) - 1)) for a in range(len(anchors))),
            key=lambda pair: pair[1],
            default=(0, 0),
        )
        if anchors and len(seqs[r]) - 1 - best[1] <= MAX_UNSHARED:  # the longest row is always an anchor
            shared[r] = best
        else:
            anchors.append(r)
            shared[r] = (len(anchors) - 1, len(seqs[r]) - 1)
    return anchors, shared


def grouped_sdpa(module, query, key, value, attention_mask, **kwargs):
    """transformers' SDPA attention, but keys and values stay grouped when a mask is given on CPU.

    transformers repeats grouped-query keys and values to every query head whenever there is a mask (CUDA's fused
    kernels cannot take both), which copies the whole cache per layer per step; torch's CPU kernel takes
    `enable_gqa` with a mask, and the decode loop always has one. Same numbers, without the copy."""
    groups = getattr(module, "num_key_value_groups", 1)
    if groups == 1 or attention_mask is None or query.device.type != "cpu":
        return sdpa_attention_forward(module, query, key, value, attention_mask, **kwargs)
    if query.shape[2] == 1 and query.dtype in (torch.bfloat16, torch.float16) and not kwargs.get("dropout"):
        output = single_query_attention(query, key, value, attention_mask, kwargs.get("scaling"))
    else:
        output = torch.nn.functional.scaled_dot_product_attention(
            query,
            key,
            value,
            attn_mask=attention_mask,
            dropout_p=kwargs.get("dropout", 0.0),
            scale=kwargs.get("scaling"),
            enable_gqa=True,
        )
    return output.transpose(1, 2).contiguous(), None


def single_query_attention(query, key, value, mask, scale=None):
    """Attention of one new token per row, as two grouped matmuls with the softmax in float32.

    A decode step in bf16/fp16 on CPU: torch's SDPA kernel is several times slower there than these matmuls
    (`benchmarks/decode_dtype.py`), and at the mini study's batch of 64 it took half the decode time. The query heads
    of one key-value group share that group's keys, so no key or value is copied."""
    batch, heads, _, dim = query.shape
    grouped = query.view(batch, key.shape[1], heads // key.shape[1], dim)
    scores = (grouped @ key.transpose(-1, -2)).float() * (dim**-0.5 if scale is None else scale)
    scores = scores.masked_fill(~mask, float("-inf")) if mask.dtype == torch.bool else scores + mask
    return (scores.softmax(-1).to(value.dtype) @ value).view(batch, heads, 1, dim)


class GrowingLayer(DynamicLayer):
    """A cache layer whose keys and values are views of a buffer with room past their end.

    transformers' `DynamicLayer` concatenates at every step, copying the whole cache of every layer; here a step
    writes its one position and the buffer is copied only when its room runs out (every `ROOM` steps)."""

    key_buffer = value_buffer = None

    def update(self, key_states, value_states, *args, **kwargs):
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        start = self.get_seq_length()
        end = start + key_states.shape[-2]
        if self.key_buffer is None or end > self.key_buffer.shape[-2]:
            self.key_buffer = grown(self.keys, key_states, end + ROOM)
            self.value_buffer = grown(self.values, value_states, end + ROOM)
        self.key_buffer[:, :, start:end] = key_states
        self.value_buffer[:, :, start:end] = value_states
        self.keys, self.values = self.key_buffer[:, :, :end], self.value_buffer[:, :, :end]
        return self.keys, self.values

    def batch_select_indices(self, indices: torch.Tensor) -> None:
        if self.key_buffer is not None:
            end = self.get_seq_length()
            self.key_buffer, self.value_buffer = self.key_buffer[indices], self.value_buffer[indices]
            self.keys, self.values = self.key_buffer[:, :, :end], self.value_buffer[:, :, :end]


def grown(states: torch.Tensor, new: torch.Tensor, length: int) -> torch.Tensor:
    """A buffer of `length` positions for `new`'s rows and heads, holding `states` at its start."""
    buffer = new.new_empty((*new.shape[:2], length, new.shape[-1]))
    if states.numel():
        buffer[:, :, : states.shape[-2]] = states
    return buffer


def growing_cache(layers: list[tuple[torch.Tensor, torch.Tensor]]) -> DynamicCache:
    cache = DynamicCache()
    cache.layers = []
    for keys, values in layers:
        layer = GrowingLayer()
        layer.update(keys, values)
        cache.layers.append(layer)
    return cache


AttentionInterface.register(GROUPED_SDPA, grouped_sdpa)
AttentionMaskInterface.register(GROUPED_SDPA, sdpa_mask)


class HFEngine:
    name = "hf"

    def __init__(self, model, tokenizer, batch_size: int = 8):
        self.model, self.tokenizer = model, tokenizer
        self.batch_size = batch_size
        self.device = next(model.parameters()).device
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        self.context_length = getattr(model.config, "max_position_embeddings", None)
        if model.config._attn_implementation == "sdpa":
            model.set_attn_implementation(GROUPED_SDPA)

    def run(self, samples: list[Sample]) -> None:
        for start in range(0, len(samples), self.batch_size):
            batch = [s for s in samples[start : start + self.batch_size] if not s.done]
            if batch:
                self._run_batch(batch)

    @torch.inference_mode()
    def _run_batch(self, batch: list[Sample]) -> None:
        generators = {
            id(s): torch.Generator(device="cpu").manual_seed(s.seed) for s in batch if s.forcing.temperature > 0
        }
        rows = list(batch)
        cache, mask, logits = self._prefill(rows)
        fed = [len(s.ids) for s in rows]

        while rows:
            next_tokens, live = [], []
            for r, s in enumerate(rows):
                while fed[r] == len(s.ids) and not s.done:  # an ignored end with "" appends nothing: pick again
                    s.accept(self._pick(logits[r], s, generators.get(id(s))))
                if fed[r] < len(s.ids):
                    next_tokens.append(s.ids[fed[r]])
                    fed[r] += 1
                    live.append(r)
                else:  # the sample is done: it idles (fed padding, masked) until the batch is compacted
                    next_tokens.append(self.pad_id)
            if not live:
                return
            if len(rows) - len(live) >= MAX_IDLE or 2 * len(live) <= len(rows):
                index = torch.tensor(live, device=self.device)
                cache.batch_select_indices(index)
                mask = mask[live]
                rows, fed, next_tokens = (
                    [rows[r] for r in live],
                    [fed[r] for r in live],
                    [next_tokens[r] for r in live],
                )
                live = list(range(len(rows)))
            column = torch.zeros((len(rows), 1), dtype=torch.long)
            column[live] = 1
            mask = torch.cat([mask, column], dim=1)
            out = self.model(
                input_ids=torch.tensor(next_tokens, device=self.device)[:, None],
                attention_mask=mask.to(self.device),
                position_ids=(mask.sum(-1, keepdim=True) - 1).to(self.device),
                past_key_values=cache,
                use_cache=True,
            )
            cache, logits = out.past_key_values, out.logits[:, -1, :].float()

    def _prefill(self, rows: list[Sample]):
        """(cache, attention mask, last logits) after feeding every row's ids.

        Rows that extend one another (the answer branches of one long run, `s1lib.infer.sweep`) share work: each
        anchor row is prefilled once, a row that shares all but at most `MAX_UNSHARED` of its ids with an anchor
        takes a copy of those keys and values, and one more forward pass feeds every row the ids it does not share."""
        anchors, shared = share_prefixes([s.ids for s in rows])
        first = left_pad([rows[a].ids[:-1] for a in anchors], self.pad_id)
        out = self.model(
            input_ids=first.ids.to(self.device),
            attention_mask=first.mask.to(self.device),
            position_ids=first.positions.to(self.device),
            use_cache=True,
            logits_to_keep=1,
        )
        width = max(n for _, n in shared)
        layers = []
        for keys, values in ((layer.keys, layer.values) for layer in out.past_key_values.layers):
            k = keys.new_zeros((len(rows), *keys.shape[1:2], width, keys.shape[-1]))
            v = torch.zeros_like(k)
            for r, (a, n) in enumerate(shared):
                start = first.ids.shape[1] - first.lengths[a]
                k[r, :, width - n :] = keys[a, :, start : start + n]
                v[r, :, width - n :] = values[a, :, start : start + n]
            layers.append((k, v))
        cache = growing_cache(layers)
        rest = left_pad([s.ids[n:] for s, (_, n) in zip(rows, shared)], self.pad_id)
        kept = torch.zeros((len(rows), width), dtype=torch.long)
        for r, (_, n) in enumerate(shared):
            kept[r, width - n :] = 1
        mask = torch.cat([kept, rest.mask], dim=1)
        positions = (mask.cumsum(-1) - 1).clamp(min=0)[:, width:]
        out = self.model(
            input_ids=rest.ids.to(self.device),
            attention_mask=mask.to(self.device),
            position_ids=positions.to(self.device),
            past_key_values=cache,
            use_cache=True,
            logits_to_keep=1,
        )
        return out.past_key_values, mask, out.logits[:, -1, :].float()

    def _pick(self, logits: torch.Tensor, sample: Sample, generator: torch.Generator | None) -> int:
        logits = logits[: sample.vocab.size].clone()  # never sample embedding rows past the tokenizer
        if sample.min_new > 0:
            logits[list(sample.stop_ids)] = float("-inf")
        if banned := sample.banned_ids:
            logits[list(banned)] = float("-inf")
        temperature, top_p = sample.forcing.temperature, sample.forcing.top_p
        if temperature == 0:
            return int(logits.argmax())
        probs = torch.softmax(logits / temperature, dim=-1)
        if top_p < 1.0:
            sorted_probs, order = probs.sort(descending=True)
            cut = sorted_probs.cumsum(-1) - sorted_probs > top_p
            sorted_probs[cut] = 0
            probs = torch.zeros_like(probs).scatter_(0, order, sorted_probs)
        return int(torch.multinomial(probs.cpu(), 1, generator=generator))
