"""The published SFT recipe as a trl `SFTConfig`, with batch arithmetic that keeps the global batch fixed."""

from __future__ import annotations

import math


def devices(train) -> int:
    return max(1, train.num_gpus)


def grad_accumulation(train) -> int:
    """Steps accumulated so that micro-batch x devices x accumulation = the global batch (16 in the paper):
    16 GPUs -> 1, 8 GPUs -> 2, one device -> 16."""
    per_step = train.per_device_train_batch_size * devices(train)
    if train.global_batch_size % per_step:
        raise ValueError(
            f"train.global_batch_size ({train.global_batch_size}) is not a multiple of "
            f"per_device_train_batch_size x devices ({train.per_device_train_batch_size} x "
            f"{devices(train)})"
        )
    return train.global_batch_size // per_step


def total_steps(train, n_examples: int) -> int:
    """Optimizer steps: ceil(examples / global batch) per epoch (1,000 examples, batch 16, 5 epochs: 315)."""
    steps = math.ceil(n_examples / train.global_batch_size) * math.ceil(train.num_train_epochs)
    return min(steps, train.max_steps) if train.max_steps else steps


def sft_config(train, output_dir: str, use_cpu: bool, progress: bool = True):
    """The trl config: every `train` field named as trl names it is passed through (as open-r1's recipes do); the
    rest is derived here (accumulation from the global batch) or fixed by the recipe (no packing, loss on the
    completion only, resumable checkpoints)."""
    import dataclasses

    from trl import SFTConfig

    from s1lib.precision import resolve_bf16

    trl_fields = {f.name for f in dataclasses.fields(SFTConfig)}
    passed = {k: v for k, v in train.model_dump().items() if k in trl_fields and k != "max_steps"}
    passed["bf16"] = resolve_bf16(train.bf16, "cpu" if use_cpu else "cuda")
    return SFTConfig(
        output_dir=output_dir,
        **passed,  # learning rate, epochs, batch per device, warmup, schedule, AdamW, bf16, max_length, ...
        max_steps=train.max_steps or -1,
        gradient_accumulation_steps=grad_accumulation(train),
        packing=False,
        completion_only_loss=True,
        save_strategy="steps",
        save_total_limit=None if train.keep_checkpoints else 1,
        save_only_model=False,  # optimizer and scheduler state are needed to resume
        report_to="none",
        use_cpu=use_cpu,
        dataloader_num_workers=0,
        disable_tqdm=not progress,
    )
