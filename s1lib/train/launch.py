"""Multi-GPU launch: `s1lib train` re-runs itself under `accelerate launch` with FSDP (full shard), on one node or
several.

Nodes x GPUs per node come from the profile (`train.num_gpus` in all, `train.num_nodes`; the paper: 16 = 2 x 8).
Each node runs the same command; its rank and the rendezvous address come from the environment, in the usual
conventions: the node rank from `NODE_RANK` (torchrun), `SLURM_NODEID` (SLURM) or `MACHINE_RANK`; the address from
`MASTER_ADDR` and `MASTER_PORT` (default 29500). `params/slurm/paper.sbatch` sets them on a SLURM cluster.
The interpreter running `s1lib` launches accelerate (`python -m accelerate.commands.launch`), so no activated
environment or `accelerate` on PATH is needed.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from s1lib.errors import UserError
from s1lib.paths import repo_root

FSDP_CONFIG = Path("params") / "accelerate" / "fsdp.yaml"
RANK_VARIABLES = ("NODE_RANK", "SLURM_NODEID", "MACHINE_RANK")


class LaunchError(UserError, RuntimeError):
    """A multi-node launch without the rank or rendezvous address it needs."""


def decoder_layer_class(model_path: str) -> str:
    """FSDP wraps each decoder layer: Qwen2ForCausalLM -> Qwen2DecoderLayer."""
    config = json.loads((Path(model_path) / "config.json").read_text()) if Path(model_path).is_dir() else None
    if config is None:
        from transformers import AutoConfig

        config = AutoConfig.from_pretrained(model_path).to_dict()
    return config["architectures"][0].replace("ForCausalLM", "DecoderLayer")


def node_flags(num_nodes: int, env=os.environ) -> list[str]:
    """accelerate's machine flags for this node ([] on one node)."""
    if num_nodes == 1:
        return ["--num_machines", "1"]
    rank = next((env[v] for v in RANK_VARIABLES if env.get(v) not in (None, "")), None)
    if rank is None or not env.get("MASTER_ADDR"):
        raise LaunchError(
            f"a {num_nodes}-node launch needs this node's rank ({' or '.join(RANK_VARIABLES)}) and "
            f"the first node's address (MASTER_ADDR) in the environment; see params/slurm/paper.sbatch"
        )
    if not 0 <= int(rank) < num_nodes:
        raise LaunchError(f"node rank {rank} is outside 0..{num_nodes - 1} (train.num_nodes: {num_nodes})")
    return [
        "--num_machines",
        str(num_nodes),
        "--machine_rank",
        str(rank),
        "--main_process_ip",
        env["MASTER_ADDR"],
        "--main_process_port",
        env.get("MASTER_PORT", "29500"),
        "--rdzv_backend",
        "static",
    ]


def fsdp_command(
    params, params_file: str, subset: str, out: Path, model_path: str, env=os.environ, layer_class: str | None = None
) -> list[str]:
    """The command this node runs: accelerate with FSDP over `train.num_gpus` processes in all."""
    return [
        sys.executable,
        "-m",
        "accelerate.commands.launch",
        "--config_file",
        str(repo_root() / FSDP_CONFIG),
        "--num_processes",
        str(params.train.num_gpus),
        *node_flags(params.train.num_nodes, env),
        "--fsdp_transformer_layer_cls_to_wrap",
        layer_class or decoder_layer_class(model_path),
        "-m",
        "s1lib",
        "train",
        "--params",
        params_file,
        "--subset",
        subset,
        "--out",
        str(out),
    ]
