"""Write the notebooks in notebooks/ from the cell lists below (outputs stripped, one `parameters` cell each).

Notebooks stay thin: every code cell calls s1lib. Edit here, run `python tools/build_notebooks.py`, commit both.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent
PARAMS = 'params_file = "params/smoke.yaml"  # papermill: -p params_file params/<profile>.yaml'


def md(text: str):
    return new_markdown_cell(text.strip())


def code(text: str, tags: tuple[str, ...] = ()):
    cell = new_code_cell(text.strip())
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def notebook(*cells) -> nbformat.NotebookNode:
    nb = new_notebook(cells=list(cells))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


NOTEBOOKS = {}

NOTEBOOKS["00_quickstart"] = notebook(
    md("""
# 00 · Quickstart: budget forcing in one question

*s1: Simple test-time scaling* (Muennighoff et al., 2025) fine-tunes Qwen2.5-32B-Instruct on 1,000 reasoning traces
and controls how long it thinks at test time with **budget forcing**: the end of thinking is *forced* (the delimiter
and `Final Answer:` are appended) when a token budget runs out, and *suppressed* (the end token is dropped and
`Wait` appended) to make the model think longer.

This notebook loads the profile's model, asks the paper's example question with and without budget forcing, and shows
the trace with the forced parts coloured.
"""),
    code(PARAMS, tags=("parameters",)),
    code("""
from s1lib.notebook import setup
from s1lib.infer import Forcing, generate, make_engine
from s1lib.display import show

P = setup(params_file)
engine = make_engine(P)
question = "How many r in raspberry?"
"""),
    md("""
## Without budget forcing
The model thinks until it writes the end-of-thinking delimiter itself (capped only by the context, as the paper's
"w/o BF" rows).
"""),
    code("""
free = generate(engine, [question], Forcing.from_params(P.forcing.model_copy(update={"max_thinking": None, "ignore": 0})))[0]
show(free, "no forcing")
"""),
    md("""
## With budget forcing
Ignore the end of thinking once (append `Wait`) and cap thinking at the profile's budget: when the budget runs out,
`<|im_start|>answer` and `Final Answer:` are forced (red).
"""),
    code("""
forced = generate(engine, [question], Forcing.from_params(P.forcing.model_copy(update={"ignore": 1})))[0]
show(forced, f"budget {forced.budget}, ignore 1 x {P.forcing.ignore_str!r}")
assert forced.thinking_tokens <= forced.budget
"""),
    md("""
## Where next
| notebook | paper |
|---|---|
| `01_data_pool`, `02_data_selection` | §2: the 59K pool, decontamination, s1K selection, data ablation subsets |
| `03_sft` | §3.1 / App. D: supervised fine-tuning |
| `04_evaluate` | Table 1: AIME24 / MATH500 / GPQA with and without budget forcing |
| `06_test_time_scaling` … `10_report` | Figures 1, 4, 5; Tables 3, 4 |

From a terminal: `s1lib generate --max-thinking 64 --ignore 1 "How many r in raspberry?"`.
"""),
)

NOTEBOOKS["04_evaluate"] = notebook(
    md("""
# 04 · Evaluation (Table 1)

The paper's main table compares s1-32B with and without budget forcing against its base model and other reasoning
models on AIME24, MATH500 and GPQA Diamond (zero-shot, raw question as the user message, greedy). This notebook
evaluates the profile's base model, and the fine-tuned model from `03_sft` when one exists, in two settings:

* **no forcing**: thinking is capped only by the context (the paper's "w/o BF" rows);
* **budget forcing**: the profile's `forcing` section (the paper's s1-32B row uses `max_thinking: auto`).

Each run lives in `runs/<profile>/eval/<model>/<setting>/<benchmark>/` and resumes if interrupted.
"""),
    code(PARAMS + """
finetuned_model = None  # a fine-tuned model folder; None: runs/<profile>/sft/final when it exists""", tags=("parameters",)),
    code("""
from s1lib.notebook import setup
from s1lib.eval.suite import NO_FORCING, evaluate_grid, results_table
from s1lib.paper import main_row
from s1lib.paths import runs_dir
from s1lib.plots import accuracy_bars, save

P = setup(params_file)
models = {"base": P.model.name}
finetuned = finetuned_model or runs_dir(P.profile) / "sft" / "final"
if (finetuned_model or finetuned.exists()):
    models["fine-tuned"] = str(finetuned)
settings = {"no forcing": NO_FORCING, "budget forcing": {}}
print("models:", models, "| budget forcing:", P.forcing.model_dump(include={"max_thinking", "ignore", "ignore_str"}))
"""),
    code("""
results = evaluate_grid(P, models, settings)
paper = [main_row(name) for name in ("Qwen2.5-32B-Instruct", "s1 w/o BF", "s1-32B")]
results_table(results, paper)
"""),
    code("""
fig = accuracy_bars([r for r in results if r["benchmark"] in ("aime24", "math500", "gpqa-diamond", "gsm8k")], paper,
                    title=f"Accuracy, {P.profile} profile, beside the paper's Table 1")
print("saved", save(fig, P.profile, "04_accuracy"))
fig
"""),
    md("""
Thinking length per run (the paper's "average thinking tokens" uses the Qwen2.5 tokenizer on the thinking lines,
counted the same way here). Forced-end rate is the share of questions whose thinking hit the budget.
"""),
    code("""
import pandas as pd
pd.DataFrame([{k: r[k] for k in ("model", "setting", "benchmark", "n", "accuracy", "mean_thinking_tokens",
               "forced_end_rate", "mean_ignored", "config_hash")} for r in results])
"""),
)


def main() -> None:
    out = ROOT / "notebooks"
    out.mkdir(exist_ok=True)
    for name, nb in NOTEBOOKS.items():
        nbformat.write(nb, out / f"{name}.ipynb")
        print(f"wrote notebooks/{name}.ipynb")


if __name__ == "__main__":
    main()
