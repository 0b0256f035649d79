"""Decoding speed of the transformers engine in float32 and bfloat16: the embedded model on the shared 8 questions
(repeated to fill a batch), 128 forced thinking tokens each, at batch 2, 8 and 64. Prints
what the smoke profile's `dtype: auto` picks on this CPU and a table; writes runs/benchmarks/decode_dtype.json. On a
CPU without bf16 kernels (AVX2 only) the bfloat16 half takes many times longer than the float32 one.

    python benchmarks/decode_dtype.py
"""

from __future__ import annotations

import time
from dataclasses import replace

from common import QUESTIONS, ROOT, write_result

TOKENS, BATCHES = 128, (2, 8, 64)


def main() -> None:
    from s1lib.infer import generate, make_engine
    from s1lib.params import load_params
    from s1lib.precision import resolve_dtype

    results = {"auto": resolve_dtype("auto", "cpu")}
    print(f"dtype auto on this CPU: {results['auto']}")
    print(f"{'dtype':>9}{'batch':>7}{'seconds':>9}{'tokens':>8}{'tok/s':>8}")
    for dtype in ("float32", "bfloat16"):
        params = load_params(
            ROOT / "params" / "smoke.yaml", {"model": {"dtype": dtype}, "engine": {"batch_size": max(BATCHES)}}
        )
        engine = make_engine(params)
        forcing = replace(
            params.forcing, max_thinking=TOKENS, min_thinking=TOKENS, ignore=0, max_answer=1, max_generation=2 * TOKENS
        )
        generate(engine, QUESTIONS[:2], replace(forcing, max_thinking=8, min_thinking=8), progress=False)  # warm-up
        for batch in BATCHES:
            questions = (QUESTIONS * (batch // len(QUESTIONS) + 1))[:batch]  # one engine batch of `batch` rows
            start = time.perf_counter()
            samples = generate(engine, questions, forcing, progress=False)
            seconds = time.perf_counter() - start
            tokens = sum(s.thinking_tokens + s.answer_tokens for s in samples)
            results[f"{dtype}-b{batch}"] = {"seconds": seconds, "tokens": tokens, "tokens_per_s": tokens / seconds}
            print(f"{dtype:>9}{batch:>7}{seconds:>9.1f}{tokens:>8}{tokens / seconds:>8.0f}")
    write_result("decode_dtype", results)


if __name__ == "__main__":
    main()
