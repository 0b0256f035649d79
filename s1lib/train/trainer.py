"""trl's `SFTTrainer`, with the plain causal-LM loss on CPU.

trl computes the loss with a fused LM head whose kernel needs Triton (CUDA/XPU). Without it, the torch fallback
scores every position, prompt and padding included, in float32 with several vocabulary-wide passes: for a 135M
model on 2 CPU cores that is over half of each step. On CPU the loss therefore comes from the model's own head
through transformers' `Trainer.compute_loss`: the same token-averaged negative log-likelihood on the assistant
turn (labels are -100 elsewhere), without trl's entropy and token-accuracy metrics.
"""

from __future__ import annotations

from transformers import Trainer
from trl import SFTTrainer as TrlSFTTrainer


class SFTTrainer(TrlSFTTrainer):
    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        if self.args.use_cpu:
            return Trainer.compute_loss(self, model, inputs, return_outputs, num_items_in_batch)
        return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
