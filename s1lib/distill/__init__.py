"""Trace collection (the paper's first stage): `collect.distill` asks a teacher behind any OpenAI-compatible
endpoint for traces, or reference models for the difficulty columns; `store.py` keeps the run resumable."""

from s1lib.distill.collect import Prices, Settings, distill
from s1lib.distill.reasoning import split_reasoning

__all__ = ["Prices", "Settings", "distill", "split_reasoning"]
