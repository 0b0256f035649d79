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
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i:02d}"  # stable ids: rebuilding changes only what was edited
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

NOTEBOOKS["03_sft"] = notebook(
    md("""
# 03 · Supervised fine-tuning (§3.1, Appendix D)

s1-32B is Qwen2.5-32B-Instruct fine-tuned on s1K for 5 epochs (lr 1e-5, batch 16, 5% warmup, cosine to 0,
AdamW β = (0.9, 0.95), weight decay 1e-4, bf16, block 32768), with the loss on the assistant turn only: from
`<|im_start|>think` through the final `<|im_end|>`. The profile's `train` section holds those settings (the smoke
profile runs a few steps on the embedded model instead).

Training resumes from its last checkpoint if interrupted, and is cached by a hash of model, recipe and data: running
this notebook again reuses the finished model.
"""),
    code(PARAMS + """
subset = "s1k"  # a selection from 02 (s1k, random, diverse, longest, full), a JSONL file, or a pool name""",
         tags=("parameters",)),
    code("""
import json
from s1lib.notebook import setup
from s1lib.data.pipeline import ensure_selection
from s1lib.train import read_log, train
from s1lib.train.recipe import grad_accumulation
from s1lib.plots import loss_curve, save

P = setup(params_file)
data = ensure_selection(P, subset) if subset in ("s1k", "random", "diverse", "longest", "full") else subset
print(f"micro-batch {P.train.micro_batch_size} x {max(1, P.train.num_gpus)} device(s) x "
      f"{grad_accumulation(P.train)} accumulation = global batch {P.train.global_batch_size}")
final = train(P, str(data), params_file=params_file)
manifest = json.loads((final / "manifest.json").read_text())
{k: manifest[k] for k in ("n_examples", "truncated_examples", "steps", "planned_steps", "first_loss", "last_loss", "run_hash")}
"""),
    code("""
fig = loss_curve({subset: read_log(final.parent / "log.jsonl")}, title=f"SFT loss, {P.profile} profile")
save(fig, P.profile, "03_loss")
fig
"""),
    md("The fine-tuned model is in `final/` (printed below); `04_evaluate` picks it up automatically."),
    code("print(final)"),
)

NOTEBOOKS["05_data_ablations"] = notebook(
    md("""
# 05 · Data ablations (Table 2)

The paper trains the same recipe on five training sets and evaluates each with budget forcing at
`max_thinking: auto`: 1K-random (quality only), 1K-diverse (uniform over domains), 1K-longest (longest traces), the
full 59K pool, and s1K (quality, difficulty and diversity together). s1K matches the full pool at 1/59 of the
training cost. The intervals are 95% paired-bootstrap intervals of each subset's difference from s1K, as in the paper.

Trainings and evaluations are cached by content hash: re-running the notebook only does unfinished work.
"""),
    code(PARAMS, tags=("parameters",)),
    code("""
from s1lib.notebook import setup
from s1lib.data.pipeline import ensure_selection
from s1lib.data.select import METHODS
from s1lib.eval.suite import evaluate_grid, paired_table, results_table
from s1lib.paper import DATA_ABLATIONS
from s1lib.plots import accuracy_bars, save
from s1lib.report import save_table
from s1lib.train import train

P = setup(params_file)
models = {}
for method in ("random", "diverse", "longest", "full", "s1k"):
    models[method] = str(train(P, str(ensure_selection(P, method)), params_file=params_file, progress=False))
models
"""),
    code("""
results = evaluate_grid(P, models, {"budget forcing": {}})
table = paired_table(results, reference="s1k")
save_table(P.profile, "05_data_ablations", table, "Data ablations (Table 2): accuracy [95% paired CI of the difference from s1K]")
table
"""),
    md("The paper's numbers for the same table (s1-32B scale; AIME24 / MATH500 / GPQA Diamond):"),
    code("""
results_table(results, DATA_ABLATIONS)
"""),
    code("""
fig = accuracy_bars(results, DATA_ABLATIONS, title="Data ablations: each subset trained and evaluated the same way")
save(fig, P.profile, "05_data_ablations")
fig
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
finetuned_model = None  # a fine-tuned model folder; None: the newest s1k training of 03_sft, if any""", tags=("parameters",)),
    code("""
from s1lib.notebook import setup
from s1lib.eval.suite import NO_FORCING, evaluate_grid, results_table
from s1lib.paper import main_row
from s1lib.plots import accuracy_bars, save
from s1lib.report import save_table
from s1lib.train import find_trained

P = setup(params_file)
models = {"base": P.model.name}
finetuned = finetuned_model or find_trained(P.profile, "s1k")
if finetuned:
    models["fine-tuned"] = str(finetuned)
settings = {"no forcing": NO_FORCING, "budget forcing": {}}
print("models:", models, "| budget forcing:", P.forcing.model_dump(include={"max_thinking", "ignore", "ignore_str"}))
"""),
    code("""
results = evaluate_grid(P, models, settings)
paper = [main_row(name) for name in ("Qwen2.5-32B-Instruct", "s1 w/o BF", "s1-32B")]
table = results_table(results, paper)
save_table(P.profile, "04_evaluate", table, "Accuracy with and without budget forcing (Table 1)")
table
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

**How answers are graded** (`s1lib.eval.grade`, rules in its docstrings; the official pipeline asks gpt-4o-mini
instead). MATH500 answers are compared by symbolic equivalence (math-verify) in worker processes with a hard
5-second limit per answer, so one pathological output is graded wrong (`timeout`) instead of stalling the run.
Where the question demands a form ("Factor ...", "simplest radical form", "as a common fraction"; 37 of the 500
questions), the answer must have that form too. A GPQA output that names two options as its answer is a hedge and
is wrong; the harness would ask an LLM and default to "A". `grade_reasons` counts, per run, the answers graded wrong
for a reason other than a plain mismatch (no answer, hedge, form, timeout, unparsable).
"""),
    code("""
import pandas as pd
pd.DataFrame([{k: r.get(k) for k in ("model", "setting", "benchmark", "n", "accuracy", "mean_thinking_tokens",
               "forced_end_rate", "mean_ignored", "grade_reasons", "config_hash")} for r in results])
"""),
)

MODEL_PARAM = PARAMS + """
model = None  # None: the s1k model trained by 03_sft if there is one, else the profile's model"""
SWEEP_PARAM = PARAMS + """
model = None  # None: the miniature model (11) when the profile's sweep.task is mini-letters, else as in 04"""
MODEL_PICK = """
P = pick_model(P, model)
spec, engine = P.model.name, lazy_engine(P)
print("model:", spec)"""
SWEEP_PICK = """
P = pick_model(P, model, task=P.sweep.task)
spec, engine = P.model.name, lazy_engine(P)
print("model:", spec, "| benchmarks:", P.eval.benchmarks)"""
MODEL_SETUP = """from s1lib.infer import lazy_engine
from s1lib.notebook import pick_model, setup
P = setup(params_file)"""

NOTEBOOKS["06_test_time_scaling"] = notebook(
    md("""
# 06 · Test-time scaling with budget forcing (Figures 1 and 4)

Accuracy against average thinking tokens, two ways: **capping** thinking at a range of budgets (the paper: 512 …
16,000 tokens) and **extending** it by ignoring the end of thinking N times with "Wait" (the paper: 1, 2, 4, 6 at the
`auto` budget). Under greedy decoding every shorter run is a prefix of a longer one, so one long generation per
question serves every setting (`s1lib.infer.sweep`); only the short forced answers are generated per setting.

Control / Scaling / Performance are the paper's metrics: the share of settings that respect their budget, the mean
slope of the curve (points per doubling of thinking tokens), and the best accuracy.

*Smoke profile* (`sweep.task: mini-letters`): the paper's benchmarks score near zero on a 135M model, so this profile
sweeps the letter-counting task of `11_s1_in_miniature` with its fine-tuned model (trained on first use, a few
minutes, then cached), where budget forcing really moves accuracy.
"""),
    code(SWEEP_PARAM, tags=("parameters",)),
    code(MODEL_SETUP + """
from s1lib.eval.tts import curve_series, scaling_sweep, sweep_table
from s1lib.paper import FIGURE1_APPROX, FIGURE1_SOURCE
from s1lib.plots import save, scaling_curve
from s1lib.report import save_table
""" + SWEEP_PICK + """
sweeps = {b: scaling_sweep(P, b, engine) for b in P.eval.benchmarks}
"""),
    code("""
for benchmark, rows in sweeps.items():
    paper = {"s1-32B, Figure 1 (approx.)": FIGURE1_APPROX[benchmark]} if benchmark in FIGURE1_APPROX else None
    fig = scaling_curve(curve_series(rows), paper, title=f"{benchmark}: accuracy vs average thinking tokens ({P.profile})")
    save(fig, P.profile, f"06_scaling_{benchmark}")
    fig.show()
print("paper curve:", FIGURE1_SOURCE)
"""),
    md("""
Extending thinking, setting by setting: each forced "Wait" against no forcing (paired 95% interval of the change,
in points), beside the string-only control that appends "Wait" and forces the answer at once.
"""),
    code("""
from s1lib.eval.tts import extension_table
for benchmark, rows in sweeps.items():
    print(benchmark)
    display(extension_table(rows))
"""),
    code("""
table = sweep_table(sweeps)
save_table(P.profile, "06_test_time_scaling", table.set_index(["benchmark", "curve"]),
           "Test-time scaling with budget forcing: Control / Scaling / Performance",
           "Paper (Table 3, AIME24, budget forcing): Control 100%, Scaling 15, Performance 56.7.")
table
"""),
)

NOTEBOOKS["07_wait_ablation"] = notebook(
    md("""
# 07 · What to append when extending thinking (Table 4)

Extrapolation with 2 ignored ends of thinking, appending "Wait", "Hmm", "Alternatively" or nothing, against no
extrapolation. The paper found "Wait" best. Values marked *unconfirmed* could not be checked against a public
source (see `s1lib.paper`).
"""),
    code(SWEEP_PARAM + """
extra_strings = []  # your own strings to try beside the paper's""", tags=("parameters",)),
    code(MODEL_SETUP + """
from s1lib.eval.suite import evaluate_grid, results_table
from s1lib.paper import EXTRAPOLATION
from s1lib.plots import accuracy_bars, save
from s1lib.report import save_table
""" + SWEEP_PICK + """
settings = {"no extrapolation": {"ignore": 0}}
for text in list(P.sweep.ignore_strs) + list(extra_strings):
    settings[f'2x "{text}"' if text else "2x without string"] = {"ignore": 2, "ignore_str": text}
results = evaluate_grid(P, {"model": spec}, settings)
table = results_table(results, EXTRAPOLATION)
save_table(P.profile, "07_wait_ablation", table, "Extrapolation strings (2 ignored ends)")
table
"""),
    code("""
fig = accuracy_bars(results, EXTRAPOLATION, title="Extrapolation strings, beside the paper's Table 4")
save(fig, P.profile, "07_wait_ablation")
fig
"""),
)

NOTEBOOKS["08_control_methods"] = notebook(
    md("""
# 08 · Other ways to control thinking length (Table 3, Figure 5)

Budget forcing against **token-conditional** ("Think for up to N tokens.") and **step-conditional** ("Think for
up to N steps.") prompts, alone and combined with budget forcing, **class-conditional** prompts (think long / think
short), and **rejection sampling** (sample at temperature 1 until the thinking fits the budget).

The paper ran TCC and SCC on models fine-tuned on traces annotated with token or step counts
(`simplescaling/token-conditional-control`, `step-conditional-control`); a model without that training sees only the
prompt, so its TCC/SCC numbers measure prompt following, not the paper's methods. Step budgets are token budgets /
`tokens_per_step`. The paper reports this table on AIME24.
"""),
    code(MODEL_PARAM + """
benchmark = None  # None: aime24 (the paper's table) when the profile evaluates it, else its first benchmark
tokens_per_step = 32
rejection_tries = 4""", tags=("parameters",)),
    code(MODEL_SETUP + """
from s1lib.eval.tts import control_study, methods_table
from s1lib.paper import CONTROL_METHODS
from s1lib.plots import save, scaling_curve
from s1lib.report import save_table
""" + MODEL_PICK + """
benchmark = benchmark or ("aime24" if "aime24" in P.eval.benchmarks else P.eval.benchmarks[0])
budgets = [b for b in P.sweep.budgets if b != "auto"]
runs = control_study(P, benchmark, engine, budgets, tokens_per_step, rejection_tries)
table = methods_table(runs, CONTROL_METHODS)
save_table(P.profile, "08_control_methods", table, f"Control methods on {benchmark}: Control / Scaling / Performance")
table
"""),
    code("""
fig = scaling_curve({m: [(max(r["thinking_tokens"], 1), r["accuracy"]) for r in rows] for m, rows in runs.items()},
                    title=f"{benchmark}: accuracy vs thinking tokens per control method ({P.profile})")
save(fig, P.profile, "08_control_methods")
fig
"""),
)

NOTEBOOKS["09_parallel_scaling"] = notebook(
    md("""
# 09 · Sequential vs parallel scaling (Figure 4, right)

Parallel scaling spends compute on k independent samples (temperature 1) and a majority vote; sequential scaling
spends it on one longer trace (ignoring the end of thinking N times). Both are plotted against the average total
tokens generated per question, so equal x means equal compute.
"""),
    code(MODEL_PARAM + """
benchmark = None  # None: the profile's first benchmark
ks = [1, 2, 4]
ignores = [0, 1, 2]""", tags=("parameters",)),
    code(MODEL_SETUP + """
from s1lib.eval.tts import parallel_vs_sequential
from s1lib.plots import save, scaling_curve
from s1lib.report import save_table
import pandas as pd
""" + MODEL_PICK + """
benchmark = benchmark or P.eval.benchmarks[0]
lines = parallel_vs_sequential(P, benchmark, engine, ks, ignores)
table = pd.DataFrame([r for rows in lines.values() for r in rows]).set_index(["method", "k"])
save_table(P.profile, "09_parallel_scaling", table.round(1), f"Sequential vs parallel scaling on {benchmark}")
table
"""),
    code("""
fig = scaling_curve({m: [(max(r["total_tokens"], 1), r["accuracy"]) for r in rows] for m, rows in lines.items()},
                    title=f"{benchmark}: accuracy vs total tokens per question ({P.profile})")
fig.update_layout(xaxis_title="average total tokens per question")
save(fig, P.profile, "09_parallel_scaling")
fig
"""),
)

NOTEBOOKS["11_s1_in_miniature"] = notebook(
    md("""
# 11 · s1 in miniature: budget forcing that really scales accuracy, on 2 CPU cores

On the embedded 135M model the paper's benchmarks score near zero, so the other smoke notebooks show the machinery
but not the phenomenon. Here is the paper's mechanism at a scale anyone can run: the "How many r in raspberry?"
example, generalised.

* **Task**: "How many times does the letter n appear in jnninonlnn?" Held-out questions use strings that never occur
  in training and letters that training never asks about.
* **Traces** (s1 format): most end thinking after a quick guess, often wrong; a minority continue with "Wait", a
  letter-by-letter recount with a running total, and the corrected answer.
* **Training**: the project's own SFT recipe (`s1lib.train`, loss on the assistant turn), cached by content hash.
* **Evaluation**: greedy decoding, with and without budget forcing, on the held-out questions.

What this shows, honestly: **the traces teach the re-check; budget forcing elicits it.** Left alone, the model
almost always ends thinking after its guess (most traces do); forcing "Wait" puts it on the path the minority of
traces taught. The control appends "Wait" and forces the answer at once: if accuracy rose there too, the gain would
come from the string, not from the thinking it starts. This is the paper's mechanism, not a claim about emergent
reasoning.
"""),
    code(PARAMS + """
n_test = None  # held-out questions; None: the profile's mini.n_test (smoke: 64, to keep CI short)""", tags=("parameters",)),
    code("""
import pandas as pd
from s1lib.notebook import setup
from s1lib.mini import BENCHMARK, ensure_model, study_params
from s1lib.mini.letters import RECOUNT_INTRO, trace_stats, training_rows

P = setup(params_file, {"mini": {"n_test": n_test}} if n_test else None)
rows = training_rows(P.mini)
print(trace_stats(rows), f"| {P.mini.n_test} held-out questions, letters: {P.mini.heldout_letters or '(all)'}")
examples = [next(r for r in rows if RECOUNT_INTRO not in r["thinking_trajectories"][0]),
            next(r for r in rows if RECOUNT_INTRO in r["thinking_trajectories"][0])]
pd.DataFrame([{"question": r["question"], "thinking": r["thinking_trajectories"][0], "answer": r["attempt"]}
              for r in examples])
"""),
    md("## Fine-tune with the s1 recipe (`mini.train`: 40 steps at batch 16 by default)"),
    code("""
from s1lib.plots import loss_curve, save
from s1lib.train import read_log

model = ensure_model(P)
manifest = pd.read_json(model / "manifest.json", typ="series")
print("model:", model, "| steps:", manifest["steps"], "| loss:", manifest["first_loss"], "->", manifest["last_loss"])
fig = loss_curve({"mini-letters": read_log(model.parent / "log.jsonl")}, title="Miniature SFT: training loss")
save(fig, P.profile, "11_loss")
fig
"""),
    md("""
## Budget forcing on the held-out questions

One greedy generation per question at the largest budget with the most "Wait"s serves every setting
(`s1lib.infer.sweep`): no forcing, 1-3 forced "Wait"s, each budget cap, and the string-only control.
"""),
    code("""
from s1lib.eval.tts import curve_series, extension_table, scaling_sweep, sweep_table
from s1lib.infer import lazy_engine
from s1lib.report import save_table

S = study_params(P, model)
sweep_rows = scaling_sweep(S, BENCHMARK, lazy_engine(S), progress=True)
table = extension_table(sweep_rows)
save_table(P.profile, "11_s1_in_miniature", table, "s1 in miniature: forced 'Wait' vs no forcing (held-out questions)",
           "Change: paired 95% bootstrap interval against no forcing, in points.")
table
"""),
    code("""
from s1lib.plots import scaling_curve

fig = scaling_curve(curve_series(sweep_rows, capped_waits=True), None,
                    title="s1 in miniature: accuracy vs average thinking tokens")
save(fig, P.profile, "11_scaling")
fig
"""),
    code("""
sweep_table({BENCHMARK: sweep_rows})
"""),
    md("""
## What to append (the paper's Table 4, on this task)

Two ignored ends with "Wait", "Hmm", "Alternatively" or no string. The traces only ever re-check after "Wait", so
this measures how specific the elicited behaviour is to the string it was taught with. In our runs (200 held-out
questions) all four elicited the recount about equally (80.5-81%): after the quick guess the traces only ever end
or re-check, so whatever keeps thinking going starts the re-check. The paper's finding that "Wait" beats the
others concerns a model with many ways to go on.
"""),
    code("""
from s1lib.eval.suite import evaluate_grid, results_table
from s1lib.plots import accuracy_bars

settings = {"no extrapolation": {"ignore": 0}}
for text in P.sweep.ignore_strs:
    settings[f'2x "{text}"' if text else "2x without string"] = {"ignore": 2, "ignore_str": text}
results = evaluate_grid(S, {"model": str(model)}, settings)
display(results_table(results))
accuracy_bars(results, title="s1 in miniature: extrapolation strings")
"""),
)

NOTEBOOKS["10_report"] = notebook(
    md("""
# 10 · Report: your numbers beside the paper's

Collects every table the other notebooks saved for this profile (`runs/<profile>/results/`) and every figure in
`figures/<profile>/`, and writes `figures/<profile>/report.md`. Run the other notebooks first; missing ones are
simply absent from the report.
"""),
    code(PARAMS, tags=("parameters",)),
    code("""
from s1lib.notebook import setup
from s1lib.paper import MAIN_TABLE
from s1lib.report import load_tables, markdown_table, write_report
from IPython.display import Markdown, display

P = setup(params_file)
intro = (f"Model `{P.model.name}`, engine `{P.engine.name}`, budget forcing {P.forcing.model_dump(include={'max_thinking', 'ignore', 'ignore_str'})}. "
         "Paper numbers: " + MAIN_TABLE[-3].source + ".")
path = write_report(P.profile, intro)
print("wrote", path)
for table in load_tables(P.profile):
    display(Markdown(f"### {table['title']}\\n\\n" + markdown_table(table["columns"], table["rows"])))
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
