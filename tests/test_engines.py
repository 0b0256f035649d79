"""The fast engines against the harness-style reference on the embedded model (fp32, greedy)."""

import pytest

from s1lib.infer import Forcing, generate, prompt_ids, resolve_budget
from s1lib.infer.forcing import Vocab
from s1lib.infer.hf import HFEngine
from s1lib.infer.reference import hf_complete, reference_generate
from grids import BUDGETS, IGNORES, pairwise

pytestmark = pytest.mark.slow

QUESTIONS = ["How many r in raspberry?", "What is 12 times 7?"]
GRID = pairwise(BUDGETS, IGNORES, ["Wait", "Hmm", ""])


def forcing_for(budget, ignore, ignore_str, **kw):
    # 'auto' fills a 220-token context so the test stays CPU-sized
    return Forcing(max_thinking=budget, ignore=ignore, ignore_str=ignore_str, max_generation=220, max_answer=8, **kw)


def reference(model, tok, forcing):
    vocab = Vocab.build(tok, forcing)
    prompts = prompt_ids(tok, QUESTIONS)
    budget = resolve_budget(forcing, vocab, [len(p) for p in prompts])
    complete = hf_complete(model, tok.pad_token_id)
    return [reference_generate(complete, vocab, p, forcing, budget) for p in prompts]


@pytest.fixture(scope="module")
def hf_engine(smol):
    model, tok = smol
    return HFEngine(model, tok, batch_size=1)


@pytest.mark.parametrize("budget, ignore, ignore_str", GRID)
def test_hf_fast_path_matches_reference(smol, hf_engine, budget, ignore, ignore_str):
    model, tok = smol
    forcing = forcing_for(budget, ignore, ignore_str)
    fast = generate(hf_engine, QUESTIONS, forcing, progress=False)
    ref = reference(model, tok, forcing)
    for g, (ids, n_ignored, forced) in zip(fast, ref):
        assert g.token_ids == ids, tok.decode(g.token_ids) + "\n!=\n" + tok.decode(ids)
        assert (g.n_ignored, g.forced_end) == (n_ignored, forced)
        # control: never above the maximum
        assert g.thinking_tokens <= (g.budget if g.budget is not None else forcing.max_generation)


def test_batched_decoding_matches_batch_of_one(smol, hf_engine):
    model, tok = smol
    forcing = forcing_for(48, 2, "Wait")
    questions = QUESTIONS + ["Name three colours.", "Is 91 prime?"]
    one = generate(hf_engine, questions, forcing, progress=False)
    batched = generate(HFEngine(model, tok, batch_size=4), questions, forcing, progress=False)
    assert [g.token_ids for g in batched] == [g.token_ids for g in one]


@pytest.mark.parametrize("floor", [8, 40])
def test_minimum_is_respected(hf_engine, floor):
    for g in generate(hf_engine, QUESTIONS, forcing_for(64, 0, "Wait", min_thinking=floor), progress=False):
        assert floor <= g.thinking_tokens <= 64


def test_sampling_is_seeded_per_sample(smol, hf_engine):
    """A sampled question's draws come from its own seed: the same in a batch of one or of four, different
    for another seed, and different between two copies of one question."""
    model, tok = smol
    f = forcing_for(24, 1, "Wait", temperature=1.0, top_p=0.9, seed=3)
    questions = [QUESTIONS[0]] * 2 + QUESTIONS[1:]
    one = generate(hf_engine, questions, f, progress=False)
    batched = generate(HFEngine(model, tok, batch_size=4), questions, f, progress=False)
    assert [g.token_ids for g in one] == [g.token_ids for g in batched]
    assert one[0].token_ids != one[1].token_ids
    other = generate(
        hf_engine, questions, forcing_for(24, 1, "Wait", temperature=1.0, top_p=0.9, seed=4), progress=False
    )
    assert [g.token_ids for g in other] != [g.token_ids for g in one]


def test_sweep_equals_independent_runs(smol, hf_engine):
    from dataclasses import replace

    from s1lib.infer.sweep import sweep

    model, tok = smol
    base = Forcing(max_answer=8, max_generation=220)
    questions = QUESTIONS + ["Name three colours."]
    results = sweep(HFEngine(model, tok, batch_size=4), questions, [8, 16, 40, "auto"], [0, 1, 2], base)
    assert len(results) == 12
    for (budget, ignore), gens in results.items():
        alone = generate(hf_engine, questions, replace(base, max_thinking=budget, ignore=ignore), progress=False)
        for g, h in zip(gens, alone):
            assert (g.token_ids, g.n_ignored, g.forced_end, g.thinking_tokens) == (
                h.token_ids,
                h.n_ignored,
                h.forced_end,
                h.thinking_tokens,
            ), (budget, ignore)


def test_string_sweep_equals_independent_runs(smol):
    """Table 4's settings resumed from one run's first end attempt equal the runs made alone (the budget edge
    cases, a string that no longer fits or a cut before any end, are covered exactly in test_forcing)."""
    from dataclasses import replace

    from s1lib.infer.sweep import string_sweep

    model, tok = smol
    engine = HFEngine(model, tok, batch_size=4)
    base = Forcing(max_thinking=40, max_answer=8, max_generation=220, min_thinking=4)
    results = string_sweep(engine, QUESTIONS, ["Wait", ""], 2, base)
    assert list(results) == [None, "Wait", ""] and all(g.n_ignored == 2 for g in results["Wait"])  # resumed
    for text, gens in results.items():
        setting = replace(base, ignore=0) if text is None else replace(base, ignore=2, ignore_str=text)
        alone = generate(engine, QUESTIONS, setting, progress=False)
        assert [g.to_dict() for g in gens] == [h.to_dict() for h in alone], text


def test_the_grid_meets_every_pair_of_settings_once():
    for a, b in ((0, 1), (0, 2), (1, 2)):
        pairs = [(case[a], case[b]) for case in GRID]
        assert len(pairs) == len(set(pairs)) == 9


@pytest.mark.parametrize("max_idle", [1, 8])  # compact the batch at every finish / let finished rows idle
def test_rows_finishing_at_different_steps_decode_as_alone(smol, hf_engine, monkeypatch, max_idle):
    from s1lib.infer import generate_many

    monkeypatch.setattr("s1lib.infer.hf.MAX_IDLE", max_idle)
    model, tok = smol
    jobs = [(QUESTIONS, forcing_for(48, 1, "Wait", min_thinking=floor)) for floor in (4, 12, 24)]
    batched = generate_many(HFEngine(model, tok, batch_size=6), jobs)
    lengths = {len(g.token_ids) for gens in batched for g in gens}
    assert len(lengths) >= 3, lengths  # rows do finish at different steps
    for (questions, forcing), gens in zip(jobs, batched):
        alone = generate(hf_engine, questions, forcing, progress=False)
        assert [g.token_ids for g in gens] == [g.token_ids for g in alone]


def test_generate_many_equals_one_generate_per_job(smol):
    from s1lib.infer import generate_many

    model, tok = smol
    engine = HFEngine(model, tok, batch_size=4)
    jobs = [
        (QUESTIONS, forcing_for(16, 0, "Wait")),
        (QUESTIONS[:1], forcing_for(64, 2, "Hmm")),
        ([], forcing_for(16, 0, "Wait")),
        (QUESTIONS, forcing_for("auto", 1, "")),
        (QUESTIONS, forcing_for(24, 1, "Wait", temperature=1.0, seed=3)),
        (QUESTIONS, forcing_for(8, 0, "Wait", temperature=1.0, seed=5, rejection_tries=3)),
        (QUESTIONS[1:], forcing_for(12, 0, "Wait", temperature=1.0, seed=5, rejection_tries=2)),
    ]
    pooled = generate_many(engine, jobs)
    assert any(g.tries > 1 for gens in pooled[-2:] for g in gens)  # rejection sampling retried in the pool
    for (questions, forcing), gens in zip(jobs, pooled):
        alone = generate(engine, questions, forcing, progress=False)
        assert [g.token_ids for g in gens] == [g.token_ids for g in alone]
        assert [(g.budget, g.tries) for g in gens] == [(g.budget, g.tries) for g in alone]


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
@pytest.mark.parametrize("mask_kind", ["bool", "additive"])
def test_single_query_attention_matches_sdpa(dtype, mask_kind):
    """The reduced-precision decode path against torch's SDPA in float32 on the same inputs: left padding masked,
    three query heads per key-value head, as SmolLM2 has."""
    import torch

    from s1lib.infer.hf import single_query_attention

    torch.manual_seed(0)
    dtype = getattr(torch, dtype)
    query, key, value = torch.randn(4, 9, 1, 64), torch.randn(4, 3, 40, 64), torch.randn(4, 3, 40, 64)
    keep = torch.ones(4, 1, 1, 40, dtype=torch.bool)
    keep[1, ..., :13] = keep[3, ..., :39] = False
    mask = keep if mask_kind == "bool" else torch.zeros(keep.shape).masked_fill(~keep, float("-inf")).to(dtype)
    expected = torch.nn.functional.scaled_dot_product_attention(query, key, value, attn_mask=keep, enable_gqa=True)
    got = single_query_attention(query.to(dtype), key.to(dtype), value.to(dtype), mask)
    assert got.dtype == dtype and got.shape == expected.shape
    assert (got.float() - expected).abs().max() < 2e-2
    # row 3 sees only its last key: its output is that key's value, whatever the rest of the row holds
    assert torch.allclose(got[3].float(), value[3, :, -1:].repeat_interleave(3, 0), atol=2e-2)


def test_growing_cache_layer_holds_what_a_dynamic_layer_holds():
    """Across the buffer's growth and rows leaving the batch, the growing layer hands attention the same keys and
    values as transformers' concatenating layer."""
    import torch
    from transformers.cache_utils import DynamicLayer

    from s1lib.infer.hf import ROOM, GrowingLayer

    torch.manual_seed(0)
    growing, plain = GrowingLayer(), DynamicLayer()
    steps = [torch.randn(4, 3, 20, 8)] + [torch.randn(4, 3, 1, 8) for _ in range(ROOM + 5)]
    rows = 4
    for i, states in enumerate(steps):
        if i == ROOM // 2:  # rows 0 and 2 leave the batch
            keep = torch.tensor([1, 3])
            growing.batch_select_indices(keep)
            plain.batch_select_indices(keep)
            rows = 2
        states = states[:rows]
        got, want = growing.update(states, -states), plain.update(states, -states)
        assert torch.equal(got[0], want[0]) and torch.equal(got[1], want[1])
    assert growing.get_seq_length() == plain.get_seq_length() == 20 + ROOM + 5
    assert growing.key_buffer.shape[-2] > growing.get_seq_length()  # it grew once, with room to spare
