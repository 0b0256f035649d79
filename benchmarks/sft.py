"""SFT cost on CPU with the embedded model: tokens/s, seconds/step and peak memory for sequence lengths
512 / 1024 / 2048, with and without gradient checkpointing (each case in a fresh subprocess), and the share of
computed tokens that are padding under the recipe's batching. Prints a table, writes runs/benchmarks/sft.json.

    S1LIB_DATA_DIR=../shared/data python benchmarks/sft.py [--only steps|padding]
"""

from __future__ import annotations

import json
import random
import resource
import subprocess
import sys
import time

from common import ROOT, write_result

TAG = "RESULT "
LENGTHS, STEPS = (512, 1024, 2048), 3


def step_case(length: int, checkpointing: bool) -> dict:
    """One optimizer step = forward + backward + AdamW on one sequence (micro-batch 1, as the recipe)."""
    import torch

    from s1lib.models import load_model

    torch.manual_seed(0)
    model, tok = load_model("smollm2-135m")
    model.train()
    if checkpointing:
        model.gradient_checkpointing_enable()
        model.config.use_cache = False
    optim = torch.optim.AdamW(model.parameters(), lr=1e-5, betas=(0.9, 0.95), weight_decay=1e-4)
    ids = torch.randint(100, len(tok), (1, length))
    times = []
    for _ in range(STEPS + 1):  # the first step warms up allocators and is not timed
        start = time.perf_counter()
        loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        optim.step()
        optim.zero_grad(set_to_none=True)
        times.append(time.perf_counter() - start)
    seconds = sum(times[1:]) / STEPS
    return {"seconds_per_step": seconds, "tokens_per_s": length / seconds,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def padding_share(lengths: list[int], micro_batch: int, sort: bool, seed: int = 0) -> float:
    """Share of computed tokens that are padding when batches are padded to their longest sequence."""
    order = sorted(lengths) if sort else random.Random(seed).sample(lengths, len(lengths))
    batches = [order[i:i + micro_batch] for i in range(0, len(order), micro_batch)]
    computed = sum(max(b) * len(b) for b in batches)
    return 1 - sum(lengths) / computed


def main() -> None:
    if "--case" in sys.argv:
        length, ckpt = sys.argv[sys.argv.index("--case") + 1].split(":")
        print(TAG + json.dumps(step_case(int(length), ckpt == "1")))
        return
    only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else None
    results, padding = {}, {}
    if only != "padding":
        results = step_table()
    if only != "steps":
        padding = padding_table()
    write_result("sft" if only is None else f"sft-{only}", {"steps": results, "padding_share": padding})


def step_table() -> dict:
    results = {}
    print(f"{'length':>7}{'ckpt':>6}{'s/step':>9}{'tok/s':>9}{'peak MB':>9}")
    for length in LENGTHS:
        for ckpt in (False, True):
            done = subprocess.run([sys.executable, __file__, "--case", f"{length}:{int(ckpt)}"], capture_output=True,
                                  text=True, cwd=ROOT)
            if done.returncode:
                raise RuntimeError(done.stderr[-2000:])
            r = json.loads(next(x for x in reversed(done.stdout.splitlines()) if x.startswith(TAG))[len(TAG):])
            results[f"{length}{'-ckpt' if ckpt else ''}"] = {"length": length, "checkpointing": ckpt, **r}
            print(f"{length:>7}{'yes' if ckpt else 'no':>6}{r['seconds_per_step']:>9.2f}{r['tokens_per_s']:>9.0f}"
                  f"{r['peak_mb']:>9.0f}")
    return results


def padding_table() -> dict:
    from s1lib.data.pool import load_pool
    from s1lib.data.features import trace_lengths

    rows = random.Random(0).sample(load_pool("smoke-pool"), 1000)
    lengths = [n + 60 for n in trace_lengths(["\n".join(r["thinking_trajectories"]) for r in rows])]  # + template
    padding = {"micro-batch 1 (the recipe)": padding_share(lengths, 1, False),
               "micro-batch 4, random order": padding_share(lengths, 4, False),
               "micro-batch 4, length-sorted": padding_share(lengths, 4, True)}
    for name, share in padding.items():
        print(f"padding share, {name:<30}{100 * share:6.1f}%")
    return padding


if __name__ == "__main__":
    main()
