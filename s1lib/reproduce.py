"""Run the numbered notebooks headlessly with papermill, one profile at a time."""

from __future__ import annotations

import time
from pathlib import Path

from tqdm.auto import tqdm

from s1lib.errors import UserError
from s1lib.params import load_params
from s1lib.paths import repo_root, runs_dir


def notebooks(only: list[str] | None = None) -> list[Path]:
    """The notebooks in `notebooks/`, in numeric order with the report last (it collects every other notebook's
    tables), optionally only those whose number or name is listed."""
    found = sorted(
        (repo_root() / "notebooks").glob("[0-9][0-9]_*.ipynb"), key=lambda nb: (nb.stem.endswith("_report"), nb.name)
    )
    if only:
        unknown = [o for o in only if not any(nb.name[:2] == o or nb.stem == o for nb in found)]
        if unknown:
            raise UserError(
                f"no notebook matches {', '.join(unknown)}; notebooks: {', '.join(nb.stem for nb in found)}"
            )
        found = [nb for nb in found if nb.name[:2] in only or nb.stem in only]
    return found


def reproduce(params_file: str, only: list[str] | None = None, kernel: str = "python3") -> list[Path]:
    """Execute the notebooks with `params_file`; executed copies go to `runs/<profile>/notebooks/`."""
    import papermill

    params = load_params(params_file)  # fail on a bad profile before the first notebook starts
    out_dir = runs_dir(params.profile) / "notebooks"
    out_dir.mkdir(parents=True, exist_ok=True)
    done, seconds = [], {}
    books = notebooks(only)
    for nb in (bar := tqdm(books, desc=f"reproduce [{params.profile}]", unit="notebook")):
        bar.set_postfix_str(nb.name)
        start = time.time()
        target = out_dir / nb.name
        papermill.execute_notebook(
            str(nb),
            str(target),
            parameters={"params_file": str(params_file)},
            cwd=str(nb.parent),
            kernel_name=kernel,
            progress_bar=False,
        )
        finish_progress_bars(target)
        seconds[nb.stem] = time.time() - start
        tqdm.write(f"  {nb.name}: {seconds[nb.stem]:.0f} s -> {target.relative_to(repo_root())}")
        done.append(target)
    print(timing_table(seconds))
    return done


def finish_progress_bars(path: Path) -> None:
    """An executed copy's progress bars, as text, in their final state (`site.final_progress`)."""
    import nbformat

    from s1lib.site import final_progress

    nb = nbformat.read(path, as_version=4)
    if final_progress(nb):
        nbformat.write(nb, path)


def timing_table(seconds: dict[str, float]) -> str:
    """Seconds per notebook, slowest first, and the total: where a reproduction spends its time."""
    width = max((len(name) for name in seconds), default=8)
    lines = [f"{name:<{width}}  {s:7.0f} s" for name, s in sorted(seconds.items(), key=lambda kv: -kv[1])]
    return "\n".join(["seconds per notebook:", *lines, f"{'total':<{width}}  {sum(seconds.values()):7.0f} s"])
