"""Supervised fine-tuning with the s1 recipe (trl `SFTTrainer`), resumable and cached by content hash.

`train(params, subset)` writes `runs/<profile>/sft/<subset>-<hash>/`: checkpoints (`checkpoint-N/`, resumed from
automatically), `log.jsonl` (one JSON line per logged step), and `final/` (model, tokenizer, `manifest.json` with
the params, the data hash and package versions). The hash covers the model, the training section and the
tokenized data, so re-running a notebook reuses a finished training and any change trains anew.

With `train.num_gpus > 1` the same command is re-launched under `accelerate launch` with the FSDP config in
`params/accelerate/fsdp.yaml` (full shard, auto-wrap on the model's decoder layer class), on one node or
`train.num_nodes` (`s1lib.train.launch`). Resume checkpoints are sharded (each rank writes its part: no gather of
the optimizer state on rank 0); the final model is gathered and written once, in full.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from s1lib.errors import UserError
from s1lib.paths import runs_dir
from s1lib.runfolder import pin, settings_hash
from s1lib.provenance import versions
from s1lib.train.dataset import build_dataset, load_rows
from s1lib.train.launch import fsdp_command
from s1lib.train.recipe import grad_accumulation, sft_config, total_steps

PAD_CANDIDATES = ("<|fim_pad|>", "<|endoftext|>")
# torch's CPU flash attention is slow backwards on short blocks: below this many tokens, plain matmul attention
# trains faster (and above it, slower), as `python benchmarks/sft.py --only attention` measures
EAGER_ATTENTION_MAX_LENGTH = 512


def ensure_pad_token(tokenizer) -> None:
    """A pad token that is not EOS; otherwise the collator would mask the trained `<|im_end|>` as padding."""
    if tokenizer.pad_token_id is not None and tokenizer.pad_token_id != tokenizer.eos_token_id:
        return
    vocab = tokenizer.get_vocab()
    for token in PAD_CANDIDATES:
        if token in vocab and vocab[token] != tokenizer.eos_token_id:
            tokenizer.pad_token = token
            return
    raise ValueError(f"no pad token distinct from EOS ({tokenizer.eos_token}); add one of {PAD_CANDIDATES}")


class TrainError(UserError, RuntimeError):
    """A run folder that holds a training run made with other settings."""


def run_key(params, data_hash: str) -> dict:
    """Everything that changes the trained weights (not the GPU count: the batch arithmetic keeps the global batch)."""
    return {
        "model": params.model.name,
        "train": params.train.model_dump(exclude={"num_gpus", "keep_checkpoints"}),
        "data": data_hash,
    }


def run_hash(params, data_hash: str) -> str:
    return settings_hash(run_key(params, data_hash))


def pin_run_folder(out: Path, key: dict) -> None:
    """Tie `out` to one training run (`run.json`), so a checkpoint is only ever resumed by the settings that made
    it; refuse a folder whose checkpoints or final model came from other settings."""
    pin(
        out,
        "run.json",
        key,
        any(out.glob("checkpoint-*")) or (out / "final").is_dir(),
        TrainError,
        "a training run",
        risk="Its checkpoint would be resumed with the old optimizer and schedule",
    )


def find_trained(profile: str, subset: str) -> Path | None:
    """The newest finished training of `subset` in this profile (its `final/` folder), if any."""
    finals = sorted(
        (runs_dir(profile) / "sft").glob(f"{subset}-*/final/manifest.json"), key=lambda p: p.stat().st_mtime
    )
    return finals[-1].parent if finals else None


def training_attention(params) -> str | None:
    """'eager' for CPU training on short blocks, else the model's default (sdpa, or flash attention if installed)."""
    cpu_short = params.model.device == "cpu" and params.train.max_length <= EAGER_ATTENTION_MAX_LENGTH
    return "eager" if cpu_short else None


class JsonlLog:
    """A `TrainerCallback` that appends every log record (and each start, with the step it resumed from)."""

    def __init__(self, path: Path):
        self.path = path

    def _write(self, record: dict) -> None:
        with self.path.open("a") as fh:
            fh.write(json.dumps({"time": round(time.time(), 1), **record}) + "\n")

    def callback(self):
        from transformers import TrainerCallback

        log = self

        class _Callback(TrainerCallback):
            def on_train_begin(self, args, state, control, **kwargs):
                if state.is_world_process_zero:
                    log._write({"event": "train_begin", "step": state.global_step, "max_steps": state.max_steps})

            def on_log(self, args, state, control, logs=None, **kwargs):
                if state.is_world_process_zero:
                    log._write({"step": state.global_step, **(logs or {})})

        return _Callback()


def read_log(path: Path) -> list[dict]:
    """Logged training records, the last one per step (a resumed run re-logs the steps after its checkpoint)."""
    records = {}
    for line in Path(path).read_text().splitlines():
        r = json.loads(line)
        if "loss" in r:
            records[r["step"]] = r
    return [records[s] for s in sorted(records)]


def train(
    params,
    subset: str,
    out: str | Path | None = None,
    params_file: str | None = None,
    callbacks=(),
    progress: bool = True,
) -> Path:
    """Fine-tune `params.model` on `subset`; returns the `final/` folder (cached when already trained)."""
    import torch
    from transformers import AutoModelForCausalLM
    from transformers.trainer_utils import get_last_checkpoint
    from s1lib.train.trainer import SFTTrainer

    from s1lib.models import load_tokenizer, resolve_model

    tokenizer = load_tokenizer(params.model.name)
    ensure_pad_token(tokenizer)
    rows = load_rows(subset, params.profile)
    dataset, data_hash, truncated, dropped = build_dataset(tokenizer, rows, params.train.max_length)
    if dropped:
        print(
            f"s1lib train: dropped {dropped} of {len(rows)} examples whose prompt fills the block size "
            f"({params.train.max_length} tokens); training on {len(rows) - dropped}",
            file=sys.stderr,
        )
    digest = run_hash(params, data_hash)
    out = Path(out) if out else runs_dir(params.profile) / "sft" / f"{Path(subset).stem}-{digest}"
    final = out / "final"
    manifest_file = final / "manifest.json"
    if manifest_file.is_file() and json.loads(manifest_file.read_text()).get("run_hash") == digest:
        return final  # cached: this model, recipe and data were trained already
    model_path = resolve_model(params.model.name)
    if params.train.num_gpus > 1 and "LOCAL_RANK" not in os.environ:
        if params_file is None:
            raise ValueError("multi-GPU training re-launches `s1lib train` and needs the params file path")
        subprocess.run(fsdp_command(params, params_file, subset, out, model_path), check=True)
        return final

    if int(os.environ.get("RANK", "0")) == 0:
        pin_run_folder(out, run_key(params, data_hash))
    model = AutoModelForCausalLM.from_pretrained(
        model_path,
        dtype=torch.float32,  # bf16 comes from mixed precision
        attn_implementation=training_attention(params),
    )
    model.config.pad_token_id = tokenizer.pad_token_id
    config = sft_config(params.train, str(out), use_cpu=params.model.device == "cpu", progress=progress)
    trainer = SFTTrainer(
        model=model,
        args=config,
        train_dataset=dataset,
        processing_class=tokenizer,
        callbacks=[JsonlLog(out / "log.jsonl").callback(), *callbacks],
        loss_weighting=params.train.loss_weighting,
    )
    trainer.train(resume_from_checkpoint=get_last_checkpoint(str(out)))
    if trainer.is_fsdp_enabled:  # checkpoints were sharded; the released model is one full state dict
        trainer.accelerator.state.fsdp_plugin.set_state_dict_type("FULL_STATE_DICT")
    trainer.save_model(str(final))
    if trainer.is_world_process_zero():
        tokenizer.save_pretrained(str(final))
        losses = read_log(out / "log.jsonl")
        manifest_file.write_text(
            json.dumps(
                {
                    "run_hash": digest,
                    "subset": subset,
                    "n_examples": len(rows) - dropped,
                    "dropped_examples": dropped,
                    "truncated_examples": truncated,
                    "data_hash": data_hash,
                    "model": params.model.name,
                    "train": params.train.model_dump(),
                    "grad_accumulation": grad_accumulation(params.train),
                    "planned_steps": total_steps(params.train, len(rows) - dropped),
                    "steps": trainer.state.global_step,
                    "first_loss": losses[0]["loss"] if losses else None,
                    "last_loss": losses[-1]["loss"] if losses else None,
                    "versions": versions(),
                    "argv": sys.argv,
                },
                indent=2,
            )
        )
        if not params.train.keep_checkpoints:
            remove_checkpoints(out)
    return final


def remove_checkpoints(out: Path) -> None:
    """Resume points are dead weight once final/ exists (a 135M model's checkpoint is 1.6 GB with its optimizer)."""
    for checkpoint in out.glob("checkpoint-*"):
        shutil.rmtree(checkpoint, ignore_errors=True)
