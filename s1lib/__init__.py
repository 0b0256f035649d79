"""s1lib: the library behind the s1 paper companion (Muennighoff et al., 2025, arXiv 2501.19393)."""

import os

# Intel MKL does torch's float32 GEMMs on x86 CPUs. Without a reproducibility mode it runs the few-row products of
# decoding through slow kernels on AMD CPUs; MKL_CBWR=AUTO picks the processor's own code path (and makes MKL's
# results reproducible run to run). MKL reads it at its first call, so importing s1lib before any GEMM is enough;
# a value the user set (MKL_CBWR= turns the mode off) is kept. benchmarks/README.md, "CPU speed".
os.environ.setdefault("MKL_CBWR", "AUTO")

__version__ = "0.1.0"
