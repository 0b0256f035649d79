"""Supervised fine-tuning with the s1 recipe: `sft.train` (resumable, cached by content hash), the examples and their
loss mask (`dataset`), the recipe as a trl config (`recipe`), the loss (`trainer`) and the multi-GPU launch
(`launch`)."""

from s1lib.train.launch import decoder_layer_class, fsdp_command
from s1lib.train.sft import TrainError, ensure_pad_token, find_trained, read_log, run_hash, train

__all__ = [
    "TrainError",
    "decoder_layer_class",
    "ensure_pad_token",
    "find_trained",
    "fsdp_command",
    "read_log",
    "run_hash",
    "train",
]
