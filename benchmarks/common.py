"""What every benchmark script shares: where results go."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def write_result(name: str, data: dict) -> Path:
    """Write runs/benchmarks/<name>.json and say where."""
    out = ROOT / "runs" / "benchmarks" / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=2))
    print(f"wrote {out.relative_to(ROOT)}")
    return out
