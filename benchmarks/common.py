"""What every benchmark script shares: where results go, and the generation benchmarks' questions."""

from __future__ import annotations

import json
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


def write_result(name: str, data: dict) -> Path:
    """Write runs/benchmarks/<name>.json and say where."""
    out = ROOT / "runs" / "benchmarks" / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=2))
    print(f"wrote {out.relative_to(ROOT)}")
    return out
