import json
import time

import pytest

from s1lib.params import load_params
from s1lib.train import decoder_layer_class, ensure_pad_token, fsdp_command, read_log, train
from s1lib.train.dataset import tokenize_example
from s1lib.train.recipe import grad_accumulation, sft_config, total_steps

TRAINED = ["<|im_start|>", "think", "Ċ", "t", "Ċ", "<|im_start|>", "answer", "Ċ", "Answer", ":", "ĠA", "<|im_end|>"]


@pytest.mark.parametrize("which, prompt_tokens, header", [
    ("smol_tokenizer", 32, ["ass", "istant", "Ċ"]),   # SmolLM2's system prompt + user turn + assistant header
    ("qwen_tokenizer", 31, ["assistant", "Ċ"]),        # Qwen2.5's default system prompt, as the official data
])
def test_label_mask_covers_exactly_the_assistant_turn(request, which, prompt_tokens, header):
    tok = request.getfixturevalue(which)
    ex = tokenize_example(tok, "Q?", ["t"], "A", block_size=4096)
    ids, mask = ex["input_ids"], ex["completion_mask"]
    assert len(ids) == prompt_tokens + len(TRAINED)
    assert mask == [0] * prompt_tokens + [1] * len(TRAINED)
    assert tok.convert_ids_to_tokens(ids[prompt_tokens:]) == TRAINED  # ends with the trained <|im_end|>
    assert tok.convert_ids_to_tokens(ids[prompt_tokens - len(header):prompt_tokens]) == header
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
    assert (c.learning_rate, c.num_train_epochs, c.per_device_train_batch_size, c.gradient_accumulation_steps) == (1e-5, 5, 1, 1)
    assert (c.adam_beta1, c.adam_beta2, c.weight_decay, c.warmup_steps) == (0.9, 0.95, 1e-4, 0.05)
    assert c.lr_scheduler_type == "cosine" and c.bf16 and c.max_length == 32768 and not c.packing
    assert c.completion_only_loss and c.gradient_checkpointing
    assert c.get_warmup_steps(315) == 16  # the paper's 16 warmup steps


def test_fsdp_launch_command(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"architectures": ["Qwen2ForCausalLM"]}))
    assert decoder_layer_class(str(tmp_path)) == "Qwen2DecoderLayer"
    params = load_params("params/paper.yaml")
    cmd = fsdp_command(params, "params/paper.yaml", "s1K", tmp_path / "out", str(tmp_path))
    assert cmd[:2] == ["accelerate", "launch"]
    config = cmd[cmd.index("--config_file") + 1]
    assert config.endswith("params/accelerate/fsdp.yaml")
    assert cmd[cmd.index("--num_processes") + 1] == "16"
    assert cmd[cmd.index("--fsdp_transformer_layer_cls_to_wrap") + 1] == "Qwen2DecoderLayer"
    assert cmd[cmd.index("-m") + 1:cmd.index("-m") + 3] == ["s1lib", "train"]
    import yaml

    fsdp = yaml.safe_load(open(config))
    assert fsdp["distributed_type"] == "FSDP" and fsdp["fsdp_config"]["fsdp_sharding_strategy"] == "FULL_SHARD"
    assert fsdp["fsdp_config"]["fsdp_auto_wrap_policy"] == "TRANSFORMER_BASED_WRAP"


def tiny_subset(tmp_path, n=4):
    rows = [{"question": f"What is {i} plus {i}?", "thinking_trajectories": [f"{i} plus {i} is {2 * i}."],
             "attempt": f"$\\boxed{{{2 * i}}}$", "source_type": "tiny", "cot_type": "math", "solution": str(2 * i),
             "metadata": "{}"} for i in range(1, n + 1)]
    path = tmp_path / "tiny.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


def tiny_params(**train):
    return load_params("params/smoke.yaml", {"train": {"learning_rate": 1e-4, "epochs": 4, "global_batch_size": 2,
                                                        "micro_batch_size": 1, "max_steps": None, "save_steps": 2,
                                                        "warmup_ratio": 0.0, **train}})


@pytest.mark.slow
def test_cpu_smoke_training_lowers_loss_and_is_cached(tmp_path):
    start = time.time()
    final = train(tiny_params(), tiny_subset(tmp_path), out=tmp_path / "run", progress=False)
    assert time.time() - start < 180
    manifest = json.loads((final / "manifest.json").read_text())
    assert manifest["steps"] == 8 and manifest["n_examples"] == 4 and manifest["grad_accumulation"] == 2
    assert manifest["last_loss"] < manifest["first_loss"]
    assert {"torch", "transformers", "trl"} <= set(manifest["versions"])
    assert (final / "model.safetensors").is_file() and (final / "tokenizer.json").is_file()
    assert not list((tmp_path / "run").glob("checkpoint-*"))  # resume points are removed once final/ exists
    log_lines = (tmp_path / "run" / "log.jsonl").read_text()
    assert train(tiny_params(), tiny_subset(tmp_path), out=tmp_path / "run", progress=False) == final
    assert (tmp_path / "run" / "log.jsonl").read_text() == log_lines  # cached: nothing trained again


@pytest.mark.slow
def test_interrupted_training_resumes_from_last_checkpoint(tmp_path):
    from transformers import TrainerCallback

    class Crash(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step == 3:
                raise RuntimeError("power cut")

    params, subset, out = tiny_params(max_steps=6, save_steps=1), tiny_subset(tmp_path), tmp_path / "run"
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
    assert sorted(p.name for p in out.glob("checkpoint-*")) == [f"checkpoint-{i}" for i in range(2, 7)]  # kept on request


@pytest.mark.slow
def test_cpu_loss_equals_trls_fused_head_loss(tmp_path):
    """On CPU the trainer takes the model's own loss (trl's fused head has no CPU kernel); it must be trl's loss."""
    import torch
    from transformers import AutoModelForCausalLM
    from trl import SFTTrainer as TrlSFTTrainer

    from s1lib.models import load_tokenizer, resolve_model
    from s1lib.train.dataset import build_dataset, load_rows
    from s1lib.train.trainer import SFTTrainer

    params = tiny_params(micro_batch_size=2)
    tokenizer = load_tokenizer("smollm2-135m")
    ensure_pad_token(tokenizer)
    dataset = build_dataset(tokenizer, load_rows(tiny_subset(tmp_path), "smoke"), 512).dataset
    model = AutoModelForCausalLM.from_pretrained(resolve_model("smollm2-135m"), dtype=torch.float32)
    trainer = SFTTrainer(model=model, args=sft_config(params.train, str(tmp_path / "out"), use_cpu=True),
                         train_dataset=dataset, processing_class=tokenizer)
    batch = next(iter(trainer.get_train_dataloader()))
    assert (batch["labels"] == -100).any() and (batch["labels"] != -100).any()  # prompt masked, answer scored
    with torch.no_grad():
        ours = trainer.compute_loss(model, dict(batch))
        trls = TrlSFTTrainer.compute_loss(trainer, model, dict(batch))
    assert ours.item() == pytest.approx(trls.item(), rel=1e-4)
