"""`auto` precision: bf16 where the hardware runs it natively, float32 elsewhere.

bf16 halves the bytes a CPU decode step reads and is the paper's training precision, but only some hardware has
bf16 kernels: on a CPU without AVX512 (an AVX2-only EPYC, say) torch falls back to a reference GEMM that ran a bf16
matmul ~20x slower than float32, single-threaded. Profiles say `auto` where the hardware is not known in advance
(the CPU profiles), and `s1lib.params` resolves it once, so runs, cache keys and provenance record what was used.
"""

from __future__ import annotations

import functools


@functools.lru_cache(maxsize=None)
def native_bf16(device: str) -> bool:
    """Does `device` ("cpu", "cuda", "cuda:1", ...) run bf16 matmuls with native kernels?"""
    import torch

    if device.startswith("cuda"):
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported(including_emulation=False)
    if device == "cpu":  # oneDNN's bf16 kernels need AVX512 (BF16 or AMX to be fast); torch has no public query
        is_supported = getattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", None)
        return bool(torch.backends.mkldnn.is_available() and is_supported and is_supported())
    return False


def resolve_dtype(dtype: str, device: str) -> str:
    """A model dtype: `auto` becomes bfloat16 or float32 for `device`; anything else is returned as given."""
    if dtype != "auto":
        return dtype
    return "bfloat16" if native_bf16(device) else "float32"


def resolve_bf16(bf16: bool | str, device: str) -> bool:
    """The trainer's bf16 mixed-precision flag: `auto` becomes whether `device` runs bf16 natively."""
    return native_bf16(device) if bf16 == "auto" else bool(bf16)
