"""s1 in miniature, end to end: notebook 11 on 200 held-out questions with a fresh training run, timed per cell.
Targets: training < 8 min, whole notebook < 12 min on 2 CPU cores; one forced "Wait" at least +30 points
over no forcing with the paired 95% interval above 0; the control within its interval of no forcing.
Prints a table and writes runs/benchmarks/mini.json.

    python benchmarks/mini.py [--n-test 200] [--keep-model]

It runs under its own profile (`mini-benchmark`, the smoke profile otherwise), so it never touches the smoke
profile's cached model; `--keep-model` reuses the benchmark's previous training (times only the evaluation).
"""

from __future__ import annotations

import json
import time

import yaml
from common import ROOT, fresh_folder, miniature_args, write_result

PROFILE = "mini-benchmark"


# notebook 11's timed cells, each found by a call it makes (tests/test_notebooks_source.py checks they exist)
CELLS = {"training": "ensure_model(P)", "sweep": "scaling_sweep(", "ablation": "string_study("}


def find_cell(notebook: dict, marker: str) -> dict:
    """The first code cell whose source contains `marker`."""
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code" and marker in "".join(cell["source"]):
            return cell
    raise KeyError(f"no cell with {marker!r} in notebook 11")


def main() -> None:
    args = miniature_args(__doc__.splitlines()[0])

    import papermill

    from s1lib.eval.tts import extension_table

    folder = fresh_folder(PROFILE, args.keep_model, always=("tts", "eval"))  # the sweep and the ablation always run
    params = yaml.safe_load((ROOT / "params" / "smoke.yaml").read_text())
    params["profile"] = PROFILE
    params_file = folder / "params.yaml"
    params_file.write_text(yaml.safe_dump(params))

    start = time.perf_counter()
    papermill.execute_notebook(
        str(ROOT / "notebooks" / "11_s1_in_miniature.ipynb"),
        str(folder / "11.ipynb"),
        parameters={"params_file": str(params_file), "n_test": args.n_test},
        cwd=str(ROOT),
        progress_bar=False,
    )
    total = time.perf_counter() - start
    notebook = json.loads((folder / "11.ipynb").read_text())
    seconds = {
        stage: find_cell(notebook, marker)["metadata"]["papermill"]["duration"] for stage, marker in CELLS.items()
    }
    seconds["notebook"] = total

    sweep_rows = json.loads((folder / "tts" / "mini-letters" / "sweep.json").read_text())["rows"]
    table = extension_table(sweep_rows)
    print(table.to_string())
    print(f"\n{'what':<12}{'seconds':>9}{'minutes':>9}   target")
    for name, target in (("training", "< 8 min"), ("sweep", ""), ("ablation", ""), ("notebook", "< 12 min")):
        print(f"{name:<12}{seconds[name]:>9.0f}{seconds[name] / 60:>9.1f}   {target}")
    write_result(
        "mini",
        {
            "n_test": args.n_test,
            "seconds": seconds,
            "fresh_training": not args.keep_model,
            "table": json.loads(table.reset_index().to_json(orient="records")),
        },
    )


if __name__ == "__main__":
    main()
