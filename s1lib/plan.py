"""`s1lib plan`: everything about a profile's run that can be checked without a GPU, printed before the GPUs are
booked: the data it needs, the training set's token lengths, the optimizer steps, the launch command on each node,
a per-GPU memory estimate for FSDP full sharding, and the evaluation grid with the longest context each setting
needs. Problems (memory over the GPU, missing data, a budget longer than the context) are collected; the command
exits 1 when there are any.

The memory estimate counts, per GPU, for N parameters over G GPUs, micro-batch 1, block S, gradient checkpointing:
bf16 weights 2N/G, bf16 gradients 2N/G, fp32 master weights 4N/G (the model is loaded in fp32 and trained in bf16
mixed precision), fp32 AdamW moments 8N/G; two unsharded layers in flight (FSDP prefetch); the checkpointed layer
inputs (L x S x H in bf16); one layer's recomputed activations (S x (10H + 4I) in bf16); the loss (trl's fused LM
head never materialises the S x V logits); and 3 GB of CUDA context and NCCL buffers. It is an estimate: it agrees
with what users of the official repository report (s1-32B at block 32768 does not fit on 8 x 80 GB and fits on 16).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from s1lib.tasks import task

GB = 1e9

# Architectures of the models the profiles name, so the plan works offline (values from their config.json).
KNOWN_SHAPES = {
    "Qwen/Qwen2.5-32B-Instruct": dict(
        hidden=5120,
        layers=64,
        intermediate=27648,
        heads=40,
        kv_heads=8,
        vocab=152064,
        tied=False,
        context=32768,
        layer_class="Qwen2DecoderLayer",
    ),
    "Qwen/Qwen2.5-14B-Instruct": dict(
        hidden=5120,
        layers=48,
        intermediate=13824,
        heads=40,
        kv_heads=8,
        vocab=152064,
        tied=False,
        context=32768,
        layer_class="Qwen2DecoderLayer",
    ),
    "Qwen/Qwen2.5-7B-Instruct": dict(
        hidden=3584,
        layers=28,
        intermediate=18944,
        heads=28,
        kv_heads=4,
        vocab=152064,
        tied=False,
        context=32768,
        layer_class="Qwen2DecoderLayer",
    ),
    "Qwen/Qwen2.5-1.5B-Instruct": dict(
        hidden=1536,
        layers=28,
        intermediate=8960,
        heads=12,
        kv_heads=2,
        vocab=151936,
        tied=True,
        context=32768,
        layer_class="Qwen2DecoderLayer",
    ),
    "Qwen/Qwen2.5-0.5B-Instruct": dict(
        hidden=896,
        layers=24,
        intermediate=4864,
        heads=14,
        kv_heads=2,
        vocab=151936,
        tied=True,
        context=32768,
        layer_class="Qwen2DecoderLayer",
    ),
}


@dataclass
class Plan:
    sections: list[tuple[str, list[dict]]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def add(self, title: str, rows: list[dict]) -> None:
        self.sections.append((title, rows))

    def render(self) -> str:
        import pandas as pd

        parts = []
        for title, rows in self.sections:
            table = pd.DataFrame(rows).to_string(index=False) if rows else "(none)"
            parts.append(f"== {title} ==\n{table}")
        parts.append("== problems ==\n" + ("\n".join(f"- {p}" for p in self.problems) or "none: the plan can run"))
        return "\n\n".join(parts)


def model_shape(name: str) -> dict | None:
    """The architecture numbers the estimate needs: from a local config.json, the embedded model, or KNOWN_SHAPES."""
    from s1lib.models import EMBEDDED, embedded_model_dir

    folder = embedded_model_dir(name) if name in EMBEDDED else Path(name)
    if (folder / "config.json").is_file():
        c = json.loads((folder / "config.json").read_text())
        return dict(
            hidden=c["hidden_size"],
            layers=c["num_hidden_layers"],
            intermediate=c["intermediate_size"],
            heads=c["num_attention_heads"],
            kv_heads=c.get("num_key_value_heads", c["num_attention_heads"]),
            vocab=c["vocab_size"],
            tied=c.get("tie_word_embeddings", False),
            context=c.get("max_position_embeddings"),
            layer_class=c["architectures"][0].replace("ForCausalLM", "DecoderLayer"),
        )
    return KNOWN_SHAPES.get(name)


def parameter_count(s: dict) -> int:
    head_dim = s["hidden"] // s["heads"]
    kv = s["kv_heads"] * head_dim
    attention = 2 * s["hidden"] * s["hidden"] + 2 * s["hidden"] * kv + s["hidden"] + 2 * kv  # q, o, k, v (+ biases)
    mlp = 3 * s["hidden"] * s["intermediate"]
    layer = attention + mlp + 2 * s["hidden"]
    embeddings = s["vocab"] * s["hidden"] * (1 if s["tied"] else 2)
    return s["layers"] * layer + embeddings + s["hidden"]


def memory_per_gpu(shape: dict, gpus: int, block: int, checkpointing: bool) -> list[dict]:
    n = parameter_count(shape)
    h, layers, inter = shape["hidden"], shape["layers"], shape["intermediate"]
    layer_params = (n - shape["vocab"] * h * (1 if shape["tied"] else 2)) / layers
    one_layer = block * (10 * h + 4 * inter) * 2
    rows = [
        ("weights (bf16, sharded)", 2 * n / gpus),
        ("gradients (bf16, sharded)", 2 * n / gpus),
        ("master weights (fp32, sharded)", 4 * n / gpus),
        ("AdamW moments (fp32, sharded)", 8 * n / gpus),
        ("unsharded layers in flight (2, bf16)", 2 * 2 * layer_params),
        (
            "activations: checkpointed layer inputs" if checkpointing else "activations: all layers",
            layers * block * h * 2 if checkpointing else layers * one_layer,
        ),
        ("activations: one layer recomputed", one_layer if checkpointing else 0),
        ("loss (fused LM head, chunked)", 0.5 * GB),
        ("CUDA context, NCCL buffers", 3 * GB),
    ]
    out = [{"component": name, "GB": round(b / GB, 1)} for name, b in rows if b]
    out.append({"component": "total", "GB": round(sum(b for _, b in rows) / GB, 1)})
    return out


def _data_rows(params, plan: Plan) -> None:
    from s1lib.data.pool import POOLS
    from s1lib.data.sources import REGISTRY, local_file

    needed = {
        "pool": [params.data.pool],
        "train set": [params.data.train_set],
        "decontaminate against": params.data.decontaminate_against,
        "evaluate on": [b for b in params.eval.benchmarks if b not in ("mini-letters", "mini-pool")],
    }
    rows = []
    for role, names in needed.items():
        for name in names:
            parts = {"smoke-pool": ["gsm8k-train", "math-pool-partial"]}.get(name, [name])
            for part in parts:
                ds = REGISTRY.get(part)
                if ds is None:
                    if part not in POOLS:
                        plan.problems.append(f"{role}: '{part}' is not a known dataset")
                    rows.append({"role": role, "name": part, "source": "?", "schema": "unknown"})
                    continue
                local = local_file(ds)
                if local is None and ds.hub is None:
                    plan.problems.append(f"{role}: {part} exists only as a local copy; set S1LIB_DATA_DIR")
                rows.append(
                    {
                        "role": role,
                        "name": part,
                        "source": str(local) if local else f"hub: {ds.hub}",
                        "schema": ", ".join(ds.schema),
                    }
                )
    plan.add("data sources", rows)


def _training_set(params):
    """Rows of the training set if they can be read here (a local copy), else None."""
    from s1lib.data.sources import DataError
    from s1lib.train.dataset import load_rows

    try:
        return load_rows(params.data.train_set, params.profile)
    except DataError:
        return None


def make_plan(params, nodes: int | None = None, gpus_per_node: int | None = None, gpu_memory_gb: float = 80.0) -> Plan:
    import numpy as np

    from s1lib.paths import repo_root
    from s1lib.train.launch import fsdp_command
    from s1lib.train.recipe import grad_accumulation, total_steps

    plan = Plan()
    train = params.train
    if nodes or gpus_per_node:
        nodes = nodes or train.num_nodes
        gpus = nodes * (gpus_per_node or max(1, train.num_gpus // train.num_nodes))
        train = train.model_copy(update={"num_gpus": gpus, "num_nodes": nodes})
    plan.add(
        "profile",
        [
            {"setting": k, "value": v}
            for k, v in {
                "profile": params.profile,
                "model": params.model.name,
                "engine": params.engine.name,
                "GPUs": f"{train.num_gpus} ({train.num_nodes} node(s))",
                "block size": train.max_length,
                "loss weighting": train.loss_weighting,
                "budget forcing": params.forcing.max_thinking,
            }.items()
        ],
    )
    _data_rows(params, plan)

    rows = _training_set(params)
    n_examples = len(rows) if rows is not None else params.data.selection_size
    if rows is not None:
        from s1lib.eval.metrics import qwen_tokenizer

        tok = qwen_tokenizer()
        texts = [
            r["question"]
            + "\n".join(
                r["thinking_trajectories"]
                if isinstance(r["thinking_trajectories"], list)
                else [r["thinking_trajectories"]]
            )
            + r["attempt"]
            for r in rows
        ]
        lengths = np.array([len(ids) + 40 for ids in tok(texts)["input_ids"]])  # +40: chat template and delimiters
        plan.add(
            "training set (Qwen2.5 tokens, with the chat template)",
            [
                {
                    "rows": len(rows),
                    "mean": int(lengths.mean()),
                    "median": int(np.median(lengths)),
                    "max": int(lengths.max()),
                    f"over block {train.max_length}": int((lengths > train.max_length).sum()),
                }
            ],
        )
    try:
        steps = total_steps(train, n_examples)
        plan.add(
            "optimization",
            [
                {
                    "examples": n_examples,
                    "global batch": train.global_batch_size,
                    "micro-batch per GPU": train.per_device_train_batch_size,
                    "accumulation": grad_accumulation(train),
                    "optimizer steps": steps,
                    "warmup steps": math.ceil(steps * train.warmup_steps),
                }
            ],
        )
    except ValueError as err:
        plan.problems.append(f"batch arithmetic: {err}")

    shape = model_shape(params.model.name)
    if shape is None:
        plan.problems.append(f"architecture of {params.model.name} unknown offline: give a local model folder")
    if train.num_gpus > 1 and shape:
        commands = []
        for rank in range(train.num_nodes):
            env = {"NODE_RANK": str(rank), "MASTER_ADDR": "$MASTER_ADDR", "MASTER_PORT": "$MASTER_PORT"}
            cmd = fsdp_command(
                params.model_copy(update={"train": train}),
                f"params/{params.profile}.yaml",
                params.data.train_set,
                Path("runs", params.profile, "sft", f"{params.data.train_set}-<hash>"),
                params.model.name,
                env=env,
                layer_class=shape["layer_class"],
            )
            root = f"{repo_root()}/"
            commands.append({"node": rank, "command": " ".join(["python", *(c.replace(root, "") for c in cmd[1:])])})
        plan.add("launch (each node; s1lib train --profile ... does this for you)", commands)
        memory = memory_per_gpu(shape, train.num_gpus, train.max_length, train.gradient_checkpointing)
        plan.add(
            f"memory per GPU, FSDP full shard over {train.num_gpus} GPUs "
            f"({parameter_count(shape) / 1e9:.1f}B parameters)",
            memory,
        )
        if memory[-1]["GB"] > gpu_memory_gb:
            plan.problems.append(
                f"training needs ~{memory[-1]['GB']} GB per GPU, more than {gpu_memory_gb:g} GB: "
                f"use more GPUs, a shorter max_length, or gradient checkpointing"
            )
    _eval_grid(params, shape, plan)
    return plan


def _eval_grid(params, shape: dict | None, plan: Plan) -> None:
    context = params.engine.max_model_len or (shape or {}).get("context")
    f = params.forcing
    settings = {"no forcing (04)": None, "budget forcing (04)": f.max_thinking}
    settings.update({f"sweep (06): budget {b}": b for b in params.sweep.budgets if params.sweep.task == "benchmarks"})
    sizes = {
        b: min(task(b).size_for(params), params.eval.limit or 10**9) for b in params.eval.benchmarks if task(b).source
    }  # the miniatures' questions are not requests here
    rows = []
    for name, budget in settings.items():
        # 'auto' and no forcing fill max_generation; a fixed budget adds its delimiters (~40) and the answer cap
        longest = f.max_generation if budget in (None, "auto") else min(f.max_generation, budget + 40 + f.max_answer)
        rows.append(
            {
                "setting": name,
                "thinking budget": budget or "none",
                "requests": ", ".join(f"{b} {n}" for b, n in sizes.items()),
                "longest context": longest,
                "fits": "?" if not context else longest <= context,
            }
        )
        if context and budget not in (None, "auto") and budget + 40 > context:
            plan.problems.append(
                f"{name}: a thinking budget of {budget} tokens is longer than the context ({context})"
            )
    plan.add(f"evaluation grid (per question; context {context or 'unknown'}; prompts excluded)", rows)
