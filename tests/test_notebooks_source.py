"""The notebooks are the source (edited in JupyterLab, committed without outputs): each one is valid nbformat, has
no outputs or execution counts, takes the one papermill parameter, and its code parses."""

import ast
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


def test_there_is_a_notebook_per_chapter():
    assert len(NOTEBOOKS) >= 12 and NOTEBOOKS[0].name.startswith("00_")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_clean_source(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert not dirty, (
        f"{path.name}: cells {dirty} have outputs; clear them before committing "
        f"(jupyter nbconvert --clear-output --inplace {path.relative_to(path.parent.parent)})"
    )
    parameters = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(parameters) == 1 and "params_file" in parameters[0].source, f"{path.name}: one 'parameters' cell"
    ids = [c.get("id") for c in nb.cells]
    assert len(set(ids)) == len(ids), f"{path.name}: duplicate cell ids"
    for i, cell in enumerate(code):
        source = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
        try:
            ast.parse(source)
        except SyntaxError as err:
            pytest.fail(f"{path.name} code cell {i}: {err}")


def test_git_strips_outputs_on_add():
    """`make install` configures the nbstripout filter `.gitattributes` names: an executed notebook is staged as the
    clean source, cell ids kept."""
    import subprocess

    root = NOTEBOOKS[0].parent.parent

    def git(*args, **kw):
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, **kw)

    clean = git("config", "--get", "filter.nbstripout.clean").stdout.strip()
    if not clean:
        pytest.skip("not a clone where `make install` ran (no nbstripout filter configured)")
    assert "filter: nbstripout" in git("check-attr", "filter", "notebooks/00_quickstart.ipynb").stdout
    nb = nbformat.read(NOTEBOOKS[0], as_version=4)
    executed = nbformat.v4.new_notebook(cells=[c.copy() for c in nb.cells], metadata=nb.metadata)
    for n, cell in enumerate(c for c in executed.cells if c.cell_type == "code"):
        cell.outputs = [nbformat.v4.new_output("stream", text="progress 100%\n")]
        cell.execution_count = n + 1
    staged = subprocess.run(
        clean, shell=True, cwd=root, input=nbformat.writes(executed), capture_output=True, text=True, check=True
    ).stdout
    assert nbformat.reads(staged, as_version=4) == nb


def test_the_miniature_benchmark_finds_the_cells_it_times(monkeypatch):
    """benchmarks/mini.py reads notebook 11's cell timings by a call each cell makes: a renamed call fails here, not
    at the end of the benchmark's run."""
    import importlib

    root = NOTEBOOKS[0].parent.parent
    monkeypatch.syspath_prepend(str(root / "benchmarks"))
    bench = importlib.import_module("mini")
    notebook = nbformat.read(root / "notebooks" / "11_s1_in_miniature.ipynb", as_version=4)
    cells = {stage: bench.find_cell(notebook, marker) for stage, marker in bench.CELLS.items()}
    assert len({id(c) for c in cells.values()}) == len(cells), "each stage is timed in a cell of its own"
    with pytest.raises(KeyError, match="no cell"):
        bench.find_cell(notebook, "a call notebook 11 never makes(")


def test_prose_does_not_state_what_a_profile_sets():
    """Step counts, compute ratios and sizes that a profile sets are printed from the params or the results, not
    written in markdown, where they would be wrong on every other profile."""
    import re

    from s1lib.params import load_params

    stated = set()
    for profile in (NOTEBOOKS[0].parent.parent / "params").glob("*.yaml"):
        p = load_params(profile)
        for value, unit in [
            (p.mini.train.max_steps, "steps"),
            (p.mini_pool.train.max_steps, "steps"),
            (p.train.max_steps, "steps"),
            (p.mini_pool.full_compute, "x"),
            (p.mini.n_test, "questions"),
            (p.mini_pool.n, "rows"),
            (p.mini_pool.n_pool, "rows"),
        ]:
            if value and not isinstance(value, str):  # full_compute may be `epochs`
                stated.add(rf"\b{value:g}\s*{unit}\b" if unit != "x" else rf"\b{value:g}x\b")
    for path in NOTEBOOKS:
        for i, cell in enumerate(nbformat.read(path, as_version=4).cells):
            if cell.cell_type == "markdown":
                hits = [pattern for pattern in stated if re.search(pattern, cell.source)]
                assert not hits, f"{path.name} markdown cell {i} states {hits}: print it from the params instead"
