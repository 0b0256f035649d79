"""s1lib puts MKL in its reproducibility mode (MKL_CBWR=AUTO) before torch's first GEMM, and keeps a user's value."""

from __future__ import annotations

import ast
import os
import subprocess
import sys

import pytest

# torch is imported first on purpose: MKL reads MKL_CBWR at its first call, not when torch loads.
PROBE = """
import ctypes, os
import torch
import s1lib
torch.ones(8, 8) @ torch.ones(8, 8)
lib = ctypes.CDLL(os.path.join(os.path.dirname(torch.__file__), "lib", "libtorch_cpu.so"))
print(repr(os.environ["MKL_CBWR"]), lib.mkl_serv_cbwr_get(1))  # MKL_CBWR_BRANCH: 1 off, 2 auto, 3 compatible
"""


def probe(value: str | None) -> tuple[str, int]:
    env = {k: v for k, v in os.environ.items() if k != "MKL_CBWR"}
    if value is not None:
        env["MKL_CBWR"] = value
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120)
    if done.returncode and ("undefined symbol" in done.stderr or "cannot open shared object" in done.stderr):
        pytest.skip("this torch build has no MKL to query")
    assert done.returncode == 0, done.stderr
    shown, branch = done.stdout.split()
    return ast.literal_eval(shown), int(branch)


@pytest.fixture(scope="module", autouse=True)
def _mkl():
    torch = pytest.importorskip("torch")
    if not torch.backends.mkl.is_available():
        pytest.skip("torch is not built with MKL here")


def test_importing_s1lib_turns_mkl_reproducibility_on():
    assert probe(None) == ("AUTO", 2)


@pytest.mark.parametrize("value, branch", [("COMPATIBLE", 3), ("", 1)])
def test_a_value_the_user_set_is_kept(value, branch):
    assert probe(value) == (value, branch)
