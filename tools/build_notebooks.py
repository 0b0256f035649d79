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

NOTEBOOKS["01_data_pool"] = notebook(
    md("""
# 01 · The question pool and its decontamination (§2)

s1 starts from 59,029 questions collected from 16 sources, each with a Gemini thinking trace, decontaminated
against the evaluation sets with word 8-grams. This notebook loads the profile's pool, names any malformed rows,
removes questions that share an 8-gram with an evaluation question, and shows what is left by source, domain and
trace length.

*Smoke profile:* `smoke-pool` is a **stand-in** built from local copies of GSM8K train and four MATH subjects, with
human solutions as traces. It has the s1 schema, so every step runs, but it is not the paper's data.
"""),
    code(PARAMS, tags=("parameters",)),
    code("""
from s1lib.notebook import setup
from s1lib.data.pipeline import decontamination_report, prepare
from s1lib.plots import composition, length_histograms, save

P = setup(params_file)
prepared = prepare(P.data.pool, P.data.decontaminate_against, P.data.ngram, P.data.min_level)
print(dict(prepared.funnel))
print("malformed rows:", len(prepared.problems), [str(p) for p in prepared.problems[:5]])
print("evaluation sets skipped:", prepared.skipped_eval_sets or "none")
"""),
    md("## Decontamination: what was removed and why"),
    code("""
counts, examples = decontamination_report(prepared)
display(counts)
examples
"""),
    md("## Composition"),
    code("""
fig = composition(prepared.rows, "source_type", title="Pool by source")
save(fig, P.profile, "01_sources")
fig
"""),
    code("""
fig = composition(prepared.rows, "domain", title="Pool by domain")
save(fig, P.profile, "01_domains")
fig
"""),
    code("""
fig = length_histograms({"pool": prepared.rows})
save(fig, P.profile, "01_lengths")
fig
"""),
)

NOTEBOOKS["02_data_selection"] = notebook(
    md("""
# 02 · Selecting s1K, and the data-ablation subsets (§2, §5.1)

From the decontaminated pool, s1K keeps questions with every feature and clean text (**quality**), drops those a
Qwen2.5 model already answers (**difficulty**), always takes correct AIME/GPQA traces and very long MATH traces
(**benchmark seeds**), then draws domains (uniformly, later weighted like AIME/GPQA) and, within a domain, long
traces with probability ∝ 2^(−rank) (**diversity** with a length bias). The paper's ablations replace this with
1K-random, 1K-diverse, 1K-longest, or the full pool.

The official notebook set no random seed, so the released s1K cannot be regenerated exactly; this selection is
seeded. On the real pool the last section compares it with the released s1K.
"""),
    code(PARAMS, tags=("parameters",)),
    code("""
from s1lib.notebook import setup
from s1lib.data.pipeline import prepare, select, write_selection
from s1lib.data.select import METHODS
from s1lib.paper import PIPELINE_FUNNEL
from s1lib.paths import runs_dir
from s1lib.plots import domain_shares, funnel, length_histograms, save

P = setup(params_file)
prepared = prepare(P.data.pool, P.data.decontaminate_against, P.data.ngram, P.data.min_level)
n, seed = P.data.selection_size, P.data.seed
subsets = {m: select(prepared, m, n, seed, P.data.math_seed_length) for m in METHODS}
"""),
    md("## The funnel, beside the paper's"),
    code("""
fig = funnel(subsets["s1k"].funnel, PIPELINE_FUNNEL, title=f"s1K selection on {P.data.pool}")
save(fig, P.profile, "02_funnel")
fig
"""),
    code("""
print("dropped by quality filters:", subsets["s1k"].dropped, "| benchmark seeds:", subsets["s1k"].n_seeds)
"""),
    md("## The subsets side by side"),
    code("""
groups = {m: s.rows for m, s in subsets.items() if m != "full"}
fig = domain_shares(groups)
save(fig, P.profile, "02_domains")
fig
"""),
    code("""
fig = length_histograms(groups, title="Trace length per subset (Qwen2.5 tokens)")
save(fig, P.profile, "02_lengths")
fig
"""),
    md("The subsets are written for the SFT notebooks (`runs/<profile>/data/<method>.jsonl`, with a summary each)."),
    code("""
for method, sel in subsets.items():
    path, _ = write_selection(sel, runs_dir(P.profile) / "data" / f"{method}.jsonl",
                              {"pool": P.data.pool, "method": method, "n": n, "seed": seed})
    print(f"{method:>8}: {len(sel.rows):>6} rows -> {path.relative_to(runs_dir(P.profile).parent.parent)}")
"""),
    md("## Against the released s1K (real pool only)"),
    code("""
from s1lib.data.features import featurize
from s1lib.data.pool import load_pool
from s1lib.data.select import compare
from s1lib.data.sources import DataError

try:
    released = featurize(load_pool("s1K"), P.data.min_level)
    print(compare(subsets["s1k"].rows, released))
except DataError as err:
    print("released s1K not available here:", str(err).split(".")[0])
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
