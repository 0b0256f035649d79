"""What every benchmark script shares: where results go, and the generation benchmarks' questions."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = [
    "How many r in raspberry?",
    "What is 12 times 7?",
    "Name three colours.",
    "Is 91 prime?",
    "What is the capital of France?",
    "Solve x + 3 = 10.",
    "How many legs does a spider have?",
    "What is 2 to the power 10?",
]


def fresh_folder(profile: str, keep: bool, always: tuple[str, ...] = ()) -> Path:
    """runs/<profile>/ for a benchmark's own profile: emptied unless `keep`, and its `always` subfolders emptied
    even then (what the benchmark measures every time)."""
    folder = ROOT / "runs" / profile
    if not keep:
        shutil.rmtree(folder, ignore_errors=True)
    for name in always:
        shutil.rmtree(folder / name, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def miniature_args(description: str):
    """The miniature benchmarks' flags: how many held-out questions, and whether to reuse the previous training."""
    import argparse

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--n-test", type=int, default=200)
    parser.add_argument("--keep-model", action="store_true", help="reuse the benchmark's previous training")
    return parser.parse_args()


def write_result(name: str, data: dict) -> Path:
    """Write runs/benchmarks/<name>.json and say where."""
    out = ROOT / "runs" / "benchmarks" / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=2))
    print(f"wrote {out.relative_to(ROOT)}")
    return out
