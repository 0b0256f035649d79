"""trl's `SFTTrainer` with the official loss weighting, and the plain causal-LM loss on CPU.

Loss weighting (`train.loss_weighting`):
- `sequence` (the official recipe, and the default): simplescaling/s1 trains with transformers 4.46.1, one sequence
  per GPU and no accumulation on 16 GPUs, so each rank averages the loss over its one sequence's tokens and DDP/FSDP
  averages the ranks: every sequence weighs 1 / global batch, however long it is. Here each micro-batch's loss is the
  mean of its sequences' token means, `Trainer` divides it by the accumulation steps and the ranks are averaged, so
  every sequence weighs 1 / global batch for any number of GPUs, nodes and accumulation steps.
- `token`: transformers' default since 4.48 (`num_items_in_batch`, `average_tokens_across_devices`): one mean over
  every trained token of the global batch, so long traces weigh more (s1K traces differ ~10x in length).

On CPU the loss comes from the model's own head: trl's fused LM-head loss needs Triton, and its torch fallback
scores every position in float32 with several vocabulary-wide passes (over half of each step for a 135M model on 2
cores). The loss is the same negative log-likelihood on the assistant turn (labels are -100 elsewhere), without
trl's entropy and token-accuracy metrics, and the head scores only the positions that some sequence of the batch
trains (`logits_to_keep`): the prompt's positions cost a vocabulary-wide projection for nothing.
"""

from __future__ import annotations

import torch
from transformers import Trainer
from trl import SFTTrainer as TrlSFTTrainer


def trained_positions(labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(positions, targets): the positions whose next token some sequence trains, and those next tokens per
    sequence (-100 where a sequence does not train it). Logits at `positions` line up with `targets`."""
    shifted = labels[:, 1:]
    positions = (shifted != -100).any(0).nonzero().squeeze(-1)
    return positions, shifted[:, positions]


def sequence_mean_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean over sequences of each sequence's mean token loss; `logits` already line up with `targets` (-100 is
    ignored; a sequence without trained tokens counts as zero rather than 0/0)."""
    per_token = torch.nn.functional.cross_entropy(logits.float().transpose(1, 2), targets, ignore_index=-100,
                                                  reduction="none")
    counts = (targets != -100).sum(-1)
    return (per_token.sum(-1) / counts.clamp(min=1)).mean()


class SFTTrainer(TrlSFTTrainer):
    def __init__(self, *args, loss_weighting: str = "sequence", **kwargs):
        super().__init__(*args, **kwargs)
        if loss_weighting not in ("sequence", "token"):
            raise ValueError(f"loss_weighting must be 'sequence' or 'token', not {loss_weighting!r}")
        self.loss_weighting = loss_weighting
        if loss_weighting == "sequence":
            self.loss_is_scaled_for_ga = False  # Trainer divides each micro-batch's loss by the accumulation steps

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        if self.loss_weighting == "sequence" and (inputs["input_ids"].shape[0] > 1 or self.args.use_cpu):
            positions, targets = trained_positions(inputs["labels"])
            outputs = model(**{k: v for k, v in inputs.items() if k != "labels"}, logits_to_keep=positions,
                            use_cache=False)
            loss = sequence_mean_loss(outputs.logits, targets)
            return (loss, outputs) if return_outputs else loss
        if self.loss_weighting == "sequence":
            num_items_in_batch = None  # one sequence: trl's token mean is that sequence's mean
        if self.args.use_cpu:
            positions, targets = trained_positions(inputs["labels"])
            inputs = {**inputs, "labels": targets, "shift_labels": targets, "logits_to_keep": positions}
            return Trainer.compute_loss(self, model, inputs, return_outputs, num_items_in_batch)
        return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
