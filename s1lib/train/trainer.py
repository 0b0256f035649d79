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
trl's entropy and token-accuracy metrics, and the head projects only the hidden states of trained tokens: a prompt's
positions, or a short answer's padding, cost a vocabulary-wide projection and softmax for nothing. In one process
(DDP expects one forward per backward) a micro-batch is also fed in passes of `MICRO_ROWS` rows sorted by length,
each padded only to its own longest row rather than the batch's; the loss is then computed once over every pass's
tokens, so the weighting, the gradient and the accumulation are those of the whole micro-batch.
"""

from __future__ import annotations

from contextlib import contextmanager, nullcontext

import torch
from transformers import Trainer
from trl import SFTTrainer as TrlSFTTrainer

MICRO_ROWS = 8  # rows per forward pass on CPU (one process): a pass of 8 keeps the GEMMs compute-bound


def trained_positions(labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(positions, targets): the positions whose next token some sequence trains, and those next tokens per
    sequence (-100 where a sequence does not train it). Logits at `positions` line up with `targets`."""
    shifted = labels[:, 1:]
    positions = (shifted != -100).any(0).nonzero().squeeze(-1)
    return positions, shifted[:, positions]


@contextmanager
def scoring_only(head: torch.nn.Module, keep: torch.Tensor):
    """While open, `head` (the model's output embeddings) projects only the hidden states where `keep` is true
    (rows x the positions `logits_to_keep` passes it): the logits come out as (kept tokens, vocabulary)."""
    handle = head.register_forward_pre_hook(lambda module, args: (args[0][keep], *args[1:]))
    try:
        yield
    finally:
        handle.remove()


def sequence_mean_loss(logits: torch.Tensor, targets: torch.Tensor, rows: torch.Tensor, n_rows: int) -> torch.Tensor:
    """Mean over `n_rows` sequences of each sequence's mean token loss, from the logits of trained tokens only and
    the row each belongs to (a sequence without trained tokens counts as zero rather than 0/0)."""
    per_token = torch.nn.functional.cross_entropy(logits.float(), targets, reduction="none")
    sums = per_token.new_zeros(n_rows).index_add(0, rows, per_token)
    counts = torch.bincount(rows, minlength=n_rows)
    return (sums / counts.clamp(min=1)).mean()


def trained_logits_by_length(model, head, inputs: dict) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(logits, targets, row of each) of every trained token of a micro-batch, fed in passes of `MICRO_ROWS` rows
    sorted by length, each cut after the last position that one of its rows attends to."""
    mask = inputs["attention_mask"]
    ends = (mask * torch.arange(1, mask.shape[1] + 1)).amax(-1)  # right padding: each row's length
    out = ([], [], [])
    for rows in ends.argsort().split(MICRO_ROWS):
        part = {k: v[rows, : int(ends[rows].max())] for k, v in inputs.items()}
        positions, targets = trained_positions(part.pop("labels"))
        keep = targets != -100
        with scoring_only(head, keep):
            logits = model(**part, logits_to_keep=positions, use_cache=False).logits
        for collected, value in zip(out, (logits, targets[keep], rows[keep.nonzero()[:, 0]])):
            collected.append(value)
    return tuple(torch.cat(values) for values in out)


class SFTTrainer(TrlSFTTrainer):
    def __init__(self, *args, loss_weighting: str = "sequence", **kwargs):
        super().__init__(*args, **kwargs)
        if loss_weighting not in ("sequence", "token"):
            raise ValueError(f"loss_weighting must be 'sequence' or 'token', not {loss_weighting!r}")
        self.loss_weighting = loss_weighting
        if loss_weighting == "sequence":
            self.loss_is_scaled_for_ga = False  # Trainer divides each micro-batch's loss by the accumulation steps

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        cpu, sequence = self.args.use_cpu, self.loss_weighting == "sequence"
        if not cpu and not (sequence and inputs["input_ids"].shape[0] > 1):
            # trl's fused head; one sequence per device: its token mean is that sequence's mean
            return super().compute_loss(model, inputs, return_outputs, None if sequence else num_items_in_batch)
        head = self.accelerator.unwrap_model(model).get_output_embeddings()
        if cpu and self.accelerator.num_processes == 1 and not return_outputs:
            logits, targets, rows = trained_logits_by_length(model, head, inputs)
            if sequence:
                return sequence_mean_loss(logits, targets, rows, len(inputs["input_ids"]))
            total = torch.nn.functional.cross_entropy(logits.float(), targets, reduction="sum")
            per_item = num_items_in_batch if self.model_accepts_loss_kwargs else None  # as the model's own loss
            return total / (per_item if per_item is not None else len(targets))
        positions, targets = trained_positions(inputs["labels"])
        keep = targets != -100
        rows, targets = keep.nonzero()[:, 0], targets[keep]
        with scoring_only(head, keep) if cpu else nullcontext():
            if sequence:
                outputs = model(
                    **{k: v for k, v in inputs.items() if k != "labels"}, logits_to_keep=positions, use_cache=False
                )
                loss = sequence_mean_loss(outputs.logits if cpu else outputs.logits[keep], targets, rows, len(keep))
                return (loss, outputs) if return_outputs else loss
            inputs = {**inputs, "labels": targets, "shift_labels": targets, "logits_to_keep": positions}
            return Trainer.compute_loss(self, model, inputs, return_outputs, num_items_in_batch)
