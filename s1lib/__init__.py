"""s1lib: the library behind the s1 paper companion (Muennighoff et al., 2025, arXiv 2501.19393)."""

__version__ = "0.1.0"
