"""The published SFT recipe as a trl `SFTConfig`, with batch arithmetic that keeps the global batch fixed."""

from __future__ import annotations

import math


def devices(train) -> int:
    return max(1, train.num_gpus)


def grad_accumulation(train) -> int:
    """Steps accumulated so that micro-batch x devices x accumulation = the global batch (16 in the paper):
    16 GPUs -> 1, 8 GPUs -> 2, one device -> 16."""
    per_step = train.micro_batch_size * devices(train)
    if train.global_batch_size % per_step:
        raise ValueError(f"train.global_batch_size ({train.global_batch_size}) is not a multiple of "
                         f"micro_batch_size x devices ({train.micro_batch_size} x {devices(train)})")
    return train.global_batch_size // per_step


def total_steps(train, n_examples: int) -> int:
    """Optimizer steps: ceil(examples / global batch) per epoch (1,000 examples, batch 16, 5 epochs: 315)."""
    steps = math.ceil(n_examples / train.global_batch_size) * math.ceil(train.epochs)
    return min(steps, train.max_steps) if train.max_steps else steps


def sft_config(train, output_dir: str, use_cpu: bool, progress: bool = True):
    from trl import SFTConfig

    return SFTConfig(
        output_dir=output_dir,
        learning_rate=train.learning_rate,
        num_train_epochs=train.epochs,
        max_steps=train.max_steps or -1,
        per_device_train_batch_size=train.micro_batch_size,
        gradient_accumulation_steps=grad_accumulation(train),
        warmup_steps=train.warmup_ratio,  # a float below 1 is a ratio of the total steps
        lr_scheduler_type=train.lr_scheduler,
        weight_decay=train.weight_decay,
        adam_beta1=train.adam_beta1,
        adam_beta2=train.adam_beta2,
        max_grad_norm=train.max_grad_norm,
        bf16=train.bf16,
        max_length=train.block_size,
        packing=False,
        completion_only_loss=True,
        gradient_checkpointing=train.gradient_checkpointing,
        logging_steps=train.logging_steps,
        save_strategy="steps",
        save_steps=train.save_steps,
        save_total_limit=None if train.keep_checkpoints else 1,
        save_only_model=False,  # optimizer and scheduler state are needed to resume
        report_to="none",
        seed=train.seed,
        use_cpu=use_cpu,
        dataloader_num_workers=0,
        disable_tqdm=not progress,
    )
