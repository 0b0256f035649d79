import json
import sys

import pytest

from s1lib.params import load_params
from s1lib.train import decoder_layer_class, ensure_pad_token, fsdp_command, read_log, train
from s1lib.train.dataset import tokenize_example
from s1lib.train.recipe import grad_accumulation, sft_config, total_steps

TRAINED = ["<|im_start|>", "think", "Ċ", "t", "Ċ", "<|im_start|>", "answer", "Ċ", "Answer", ":", "ĠA", "<|im_end|>"]


@pytest.mark.parametrize(
    "which, prompt_tokens, header",
    [
        ("smol_tokenizer", 32, ["ass", "istant", "Ċ"]),  # SmolLM2's system prompt + user turn + assistant header
        ("qwen_tokenizer", 31, ["assistant", "Ċ"]),  # Qwen2.5's default system prompt, as the official data
    ],
)
def test_label_mask_covers_exactly_the_assistant_turn(request, which, prompt_tokens, header):
    tok = request.getfixturevalue(which)
    ex = tokenize_example(tok, "Q?", ["t"], "A", block_size=4096)
    ids, mask = ex["input_ids"], ex["completion_mask"]
    assert len(ids) == prompt_tokens + len(TRAINED)
    assert mask == [0] * prompt_tokens + [1] * len(TRAINED)
    assert tok.convert_ids_to_tokens(ids[prompt_tokens:]) == TRAINED  # ends with the trained <|im_end|>
    assert tok.convert_ids_to_tokens(ids[prompt_tokens - len(header) : prompt_tokens]) == header
    assert tok.decode(ids[:prompt_tokens]).endswith("<|im_start|>user\nQ?<|im_end|>\n<|im_start|>assistant\n")


def test_truncation_on_the_right(smol_tokenizer):
    ex = tokenize_example(smol_tokenizer, "Q?", ["word " * 200], "A", block_size=64)
    assert len(ex["input_ids"]) == len(ex["completion_mask"]) == 64 and ex["truncated"]


def test_pad_token_is_never_eos(smol_tokenizer, qwen_tokenizer):
    import copy

    tok = copy.deepcopy(qwen_tokenizer)
    tok.pad_token = tok.eos_token
    ensure_pad_token(tok)
    assert tok.pad_token == "<|fim_pad|>"
    ensure_pad_token(smol_tokenizer)
    assert smol_tokenizer.pad_token_id != smol_tokenizer.eos_token_id


def test_global_batch_is_kept_whatever_the_device_count():
    paper = load_params("params/paper.yaml").train
    assert grad_accumulation(paper) == 1 and total_steps(paper, 1000) == 315
    eight = paper.model_copy(update={"num_gpus": 8})
    assert grad_accumulation(eight) == 2 and total_steps(eight, 1000) == 315  # not 625 as sft.sh on one node
    cpu = paper.model_copy(update={"num_gpus": 0})
    assert grad_accumulation(cpu) == 16
    with pytest.raises(ValueError, match="not a multiple"):
        grad_accumulation(paper.model_copy(update={"num_gpus": 6}))


def test_paper_recipe_reaches_the_trainer(tmp_path):
    # use_cpu: this machine has no GPU, and transformers refuses bf16 on a GPU it cannot find
    c = sft_config(load_params("params/paper.yaml").train, str(tmp_path), use_cpu=True)
    assert (c.learning_rate, c.num_train_epochs, c.per_device_train_batch_size, c.gradient_accumulation_steps) == (
        1e-5,
        5,
        1,
        1,
    )
    assert (c.adam_beta1, c.adam_beta2, c.weight_decay, c.warmup_steps) == (0.9, 0.95, 1e-4, 0.05)
    assert c.lr_scheduler_type == "cosine" and c.bf16 and c.max_length == 32768 and not c.packing
    assert c.completion_only_loss and c.gradient_checkpointing
    assert c.get_warmup_steps(315) == 16  # the paper's 16 warmup steps


@pytest.mark.parametrize("native", [True, False])
def test_auto_mixed_precision_reaches_the_trainer_as_a_flag(tmp_path, monkeypatch, native):
    from s1lib.params import TrainParams

    monkeypatch.setattr("s1lib.precision.native_bf16", lambda device: native)
    assert sft_config(TrainParams(bf16="auto"), str(tmp_path), use_cpu=True).bf16 is native


def test_fsdp_launch_command(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"architectures": ["Qwen2ForCausalLM"]}))
    assert decoder_layer_class(str(tmp_path)) == "Qwen2DecoderLayer"
    params = load_params("params/paper.yaml")
    env = {"SLURM_NODEID": "1", "MASTER_ADDR": "node-a", "MASTER_PORT": "29600"}
    cmd = fsdp_command(params, "params/paper.yaml", "s1K", tmp_path / "out", str(tmp_path), env=env)
    assert cmd[:3] == [sys.executable, "-m", "accelerate.commands.launch"]  # no `accelerate` on PATH needed
    flags = dict(zip(cmd[::1], cmd[1::1]))
    assert (
        flags["--num_machines"],
        flags["--machine_rank"],
        flags["--main_process_ip"],
        flags["--main_process_port"],
    ) == ("2", "1", "node-a", "29600")
    config = cmd[cmd.index("--config_file") + 1]
    assert config.endswith("params/accelerate/fsdp.yaml")
    assert cmd[cmd.index("--num_processes") + 1] == "16"
    assert cmd[cmd.index("--fsdp_transformer_layer_cls_to_wrap") + 1] == "Qwen2DecoderLayer"
    assert cmd[-8:-6] == ["s1lib", "train"]
    import yaml

    fsdp = yaml.safe_load(open(config))
    assert fsdp["distributed_type"] == "FSDP" and fsdp["fsdp_config"]["fsdp_sharding_strategy"] == "FULL_SHARD"
    assert fsdp["fsdp_config"]["fsdp_auto_wrap_policy"] == "TRANSFORMER_BASED_WRAP"
    assert fsdp["fsdp_config"]["fsdp_state_dict_type"] == "SHARDED_STATE_DICT"  # no optimizer gather on rank 0


def test_multi_node_launch_needs_rank_and_address(tmp_path):
    from s1lib.train.launch import LaunchError, node_flags

    assert node_flags(1, {}) == ["--num_machines", "1"]
    with pytest.raises(LaunchError, match="MASTER_ADDR"):
        node_flags(2, {"NODE_RANK": "0"})
    with pytest.raises(LaunchError, match="outside 0..1"):
        node_flags(2, {"NODE_RANK": "2", "MASTER_ADDR": "a"})
    assert node_flags(2, {"NODE_RANK": "0", "MASTER_ADDR": "a"})[:4] == ["--num_machines", "2", "--machine_rank", "0"]
    from s1lib.paths import repo_root

    script = (repo_root() / "params" / "slurm" / "paper.sbatch").read_text()
    assert "--nodes=2" in script and "MASTER_ADDR" in script and "s1lib train --profile paper" in script


def tiny_subset(tmp_path, n=4):
    rows = [
        {
            "question": f"What is {i} plus {i}?",
            "thinking_trajectories": [f"{i} plus {i} is {2 * i}."],
            "attempt": f"$\\boxed{{{2 * i}}}$",
            "source_type": "tiny",
            "cot_type": "math",
            "solution": str(2 * i),
            "metadata": "{}",
        }
        for i in range(1, n + 1)
    ]
    path = tmp_path / "tiny.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


def tiny_params(model="smollm2-135m", **train):
    recipe = {
        "learning_rate": 1e-4,
        "num_train_epochs": 4,
        "global_batch_size": 2,
        "per_device_train_batch_size": 1,
        "max_steps": None,
        "save_steps": 2,
        "warmup_steps": 0.0,
        **train,
    }
    return load_params("params/smoke.yaml", {"model": {"name": model}, "train": recipe})


def test_cpu_trains_short_blocks_with_eager_attention_and_long_ones_with_the_default():
    from s1lib.train.sft import EAGER_ATTENTION_MAX_LENGTH, training_attention

    assert training_attention(tiny_params(max_length=EAGER_ATTENTION_MAX_LENGTH)) == "eager"
    assert training_attention(tiny_params(max_length=2 * EAGER_ATTENTION_MAX_LENGTH)) is None
    on_gpu = load_params("params/smoke.yaml", {"model": {"device": "cuda"}, "train": {"max_length": 128}})
    assert training_attention(on_gpu) is None


@pytest.mark.slow
def test_cpu_smoke_training_lowers_loss_and_is_cached(tmp_path, tiny_model):
    final = train(tiny_params(tiny_model), tiny_subset(tmp_path), out=tmp_path / "run", progress=False)
    manifest = json.loads((final / "manifest.json").read_text())
    assert manifest["steps"] == 8 and manifest["n_examples"] == 4 and manifest["grad_accumulation"] == 2
    assert manifest["last_loss"] < manifest["first_loss"]
    assert {"torch", "transformers", "trl"} <= set(manifest["versions"])
    assert (final / "model.safetensors").is_file() and (final / "tokenizer.json").is_file()
    assert not list((tmp_path / "run").glob("checkpoint-*"))  # resume points are removed once final/ exists
    log_lines = (tmp_path / "run" / "log.jsonl").read_text()
    assert train(tiny_params(tiny_model), tiny_subset(tmp_path), out=tmp_path / "run", progress=False) == final
    assert (tmp_path / "run" / "log.jsonl").read_text() == log_lines  # cached: nothing trained again


@pytest.mark.slow
def test_interrupted_training_resumes_from_last_checkpoint(tmp_path, tiny_model):
    from transformers import TrainerCallback

    class Crash(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step == 3:
                raise RuntimeError("power cut")

    params, subset, out = tiny_params(tiny_model, max_steps=6, save_steps=1), tiny_subset(tmp_path), tmp_path / "run"
    with pytest.raises(RuntimeError, match="power cut"):
        train(params, subset, out=out, callbacks=[Crash()], progress=False)
    assert [p.name for p in out.glob("checkpoint-*")] == ["checkpoint-2"]  # only the latest is kept
    assert not (out / "final").exists()
    params.train.keep_checkpoints = True
    final = train(params, subset, out=out, progress=False)
    begins = [json.loads(x) for x in (out / "log.jsonl").read_text().splitlines() if "train_begin" in x]
    assert [b["step"] for b in begins] == [0, 2]  # the second run started from checkpoint-2
    assert json.loads((final / "manifest.json").read_text())["steps"] == 6
    assert [r["step"] for r in read_log(out / "log.jsonl")] == [1, 2, 3, 4, 5, 6]
    assert sorted(p.name for p in out.glob("checkpoint-*")) == [
        f"checkpoint-{i}" for i in range(2, 7)
    ]  # kept on request


@pytest.mark.slow
def test_cpu_loss_equals_trls_fused_head_loss(tmp_path):
    """On CPU the trainer takes the model's own loss (trl's fused head has no CPU kernel); it must be trl's loss."""
    import torch
    from transformers import AutoModelForCausalLM
    from trl import SFTTrainer as TrlSFTTrainer

    from s1lib.models import load_tokenizer, resolve_model
    from s1lib.train.dataset import build_dataset, load_rows
    from s1lib.train.trainer import SFTTrainer

    params = tiny_params(per_device_train_batch_size=2)
    tokenizer = load_tokenizer("smollm2-135m")
    ensure_pad_token(tokenizer)
    dataset = build_dataset(tokenizer, load_rows(tiny_subset(tmp_path), "smoke"), 512).dataset
    model = AutoModelForCausalLM.from_pretrained(resolve_model("smollm2-135m"), dtype=torch.float32)
    trainer = SFTTrainer(
        model=model,
        args=sft_config(params.train, str(tmp_path / "out"), use_cpu=True),
        train_dataset=dataset,
        processing_class=tokenizer,
    )
    batch = next(iter(trainer.get_train_dataloader()))
    assert (batch["labels"] == -100).any() and (batch["labels"] != -100).any()  # prompt masked, answer scored
    with torch.no_grad():
        ours = trainer.compute_loss(model, dict(batch))
        trls = TrlSFTTrainer.compute_loss(trainer, model, dict(batch))
    assert ours.item() == pytest.approx(trls.item(), rel=1e-4)


@pytest.mark.parametrize("micro_rows", [8, 1])
def test_sequence_weighting_is_the_mean_of_per_sequence_means(tmp_path, monkeypatch, micro_rows):
    """Two examples of very different lengths in one micro-batch: `sequence` gives each the same weight, `token`
    weighs them by their trained tokens; both computed by hand from the model's logits, whether the rows go through
    the model in one pass or one by one (`MICRO_ROWS`)."""
    import torch
    from transformers import AutoModelForCausalLM

    from s1lib.models import load_tokenizer, resolve_model
    from s1lib.train.dataset import build_dataset
    from s1lib.train.trainer import SFTTrainer

    rows = [
        {"question": "2+2?", "thinking_trajectories": ["four"], "attempt": "4"},
        {"question": "Explain.", "thinking_trajectories": ["a long trace " * 40], "attempt": "done"},
    ]
    tokenizer = load_tokenizer("smollm2-135m")
    ensure_pad_token(tokenizer)
    dataset = build_dataset(tokenizer, rows, 512).dataset
    model = AutoModelForCausalLM.from_pretrained(resolve_model("smollm2-135m"), dtype=torch.float32)
    monkeypatch.setattr("s1lib.train.trainer.MICRO_ROWS", micro_rows)
    params = tiny_params(per_device_train_batch_size=2)
    losses, projected = {}, []
    head = model.get_output_embeddings().register_forward_hook(lambda m, args, out: projected.append(out.shape))
    for weighting in ("sequence", "token"):
        trainer = SFTTrainer(
            model=model,
            args=sft_config(params.train, str(tmp_path / weighting), use_cpu=True),
            train_dataset=dataset,
            processing_class=tokenizer,
            loss_weighting=weighting,
        )
        batch = next(iter(trainer.get_train_dataloader()))
        with torch.no_grad():
            losses[weighting] = trainer.compute_loss(model, dict(batch), num_items_in_batch=None).item()
    head.remove()
    with torch.no_grad():  # the reference in float64: the trainer's float32 rounds differently from a full pass
        logits = model.double()(**{k: v for k, v in batch.items() if k != "labels"}).logits
    labels = batch["labels"][:, 1:]
    nll = torch.nn.functional.cross_entropy(
        logits[:, :-1].transpose(1, 2), labels, ignore_index=-100, reduction="none"
    )
    counts = (labels != -100).sum(-1)
    assert counts.max() > 5 * counts.min()  # unequal lengths, or the test could not tell the weightings apart
    assert sum(shape[0] for shape in projected) == 2 * counts.sum()  # the head scored the trained tokens only
    assert len(projected) == 2 * (2 if micro_rows == 1 else 1)
    assert losses["sequence"] == pytest.approx((nll.sum(-1) / counts).mean().item(), rel=2e-5)
    assert losses["token"] == pytest.approx((nll.sum() / counts.sum()).item(), rel=2e-5)
    assert abs(losses["sequence"] - losses["token"]) > 0.1


@pytest.mark.slow
def test_two_processes_train_the_same_weights_as_accumulation(tmp_path, tiny_model):
    """The official weighting whatever the layout: one process accumulating 2 micro-batches and two processes
    (torchrun, gloo, DDP on CPU) with one each give the same losses and the same weights after 2 steps. Every
    process computes on one thread, as torchrun's workers do: matmuls round differently on two threads, and Adam
    turns the rounding of near-zero gradients into visible weight differences."""
    import os
    import subprocess
    import sys

    from safetensors.torch import load_file

    rows = [
        {"question": "What is 2 plus 2?", "thinking_trajectories": ["Two plus two is four."], "attempt": "4"},
        {
            "question": "Spell cat backwards and explain.",
            "thinking_trajectories": ["Take t, then a, then c. " * 12],
            "attempt": "tac",
        },
    ]
    subset = tmp_path / "rows.jsonl"
    subset.write_text("".join(json.dumps(r) + "\n" for r in rows))

    def run(name, gpus, weighting="sequence", launcher=(sys.executable, "-m", "s1lib")):
        profile = tmp_path / f"{name}.yaml"
        profile.write_text(
            f"profile: {name}\nmodel:\n  name: {tiny_model}\ntrain:\n  learning_rate: 1.0e-3\n  num_train_epochs: 2\n"
            "  global_batch_size: 2\n"
            f"  per_device_train_batch_size: 1\n  num_gpus: {gpus}\n  warmup_steps: 0.0\n  bf16: false\n"
            f"  max_length: 256\n  save_steps: 100\n  loss_weighting: {weighting}\n"
        )
        out = tmp_path / name
        done = subprocess.run(
            [*launcher, "train", "--params", str(profile), "--subset", str(subset), "--out", str(out)],
            capture_output=True,
            text=True,
            timeout=600,
            env={**os.environ, "OMP_NUM_THREADS": "1"},
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return read_log(out / "log.jsonl"), load_file(str(out / "final" / "model.safetensors"))

    torchrun = (sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "-m", "s1lib")
    one_log, one = run("one", 0)
    two_log, two = run("two", 2, launcher=torchrun)
    assert [r["loss"] for r in one_log] == pytest.approx([r["loss"] for r in two_log], rel=1e-6)
    assert max((one[k] - two[k]).abs().max().item() for k in one) < 1e-6
    _, token = run("token", 0, weighting="token")
    assert max((one[k] - token[k]).abs().max().item() for k in one) > 1e-4  # the weighting does change the weights


def test_passes_sorted_by_length_score_every_trained_token_once(monkeypatch):
    """Rows of lengths 3, 9, 4 and 8 (right-padded to 9) in passes of two: the short pair is cut to 4 columns, the
    long pair keeps 9, and every trained token's logits, target and row come back, each from its own row."""
    import torch

    from s1lib.train.trainer import trained_logits_by_length

    class Toy(torch.nn.Module):  # a causal LM's interface: the head applied to the kept positions
        def __init__(self):
            super().__init__()
            self.embed, self.head, self.widths = torch.nn.Embedding(50, 4), torch.nn.Linear(4, 50), []

        def forward(self, input_ids, attention_mask, logits_to_keep, use_cache):
            self.widths.append(input_ids.shape[1])
            return type("Out", (), {"logits": self.head(self.embed(input_ids)[:, logits_to_keep])})

    monkeypatch.setattr("s1lib.train.trainer.MICRO_ROWS", 2)
    lengths = [3, 9, 4, 8]
    ids = torch.tensor([[10 * r + i + 1 for i in range(9)] for r in range(4)])
    mask = torch.tensor([[int(i < n) for i in range(9)] for n in lengths])
    labels = torch.where(mask.bool() & (torch.arange(9) >= 1), ids, torch.tensor(-100))  # all but each first token
    model = Toy()
    logits, targets, rows = trained_logits_by_length(
        model, model.head, {"input_ids": ids, "attention_mask": mask, "labels": labels}
    )
    assert model.widths == [4, 9]
    assert sorted(zip(rows.tolist(), targets.tolist())) == [
        (r, int(ids[r, i])) for r in range(4) for i in range(1, lengths[r])
    ]
    expected = model.head(model.embed(ids))  # position i - 1 predicts token i
    for logit, target, row in zip(logits, targets, rows):
        assert torch.allclose(logit, expected[row, int(target) - 10 * int(row) - 2])
