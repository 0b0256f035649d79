"""Results the notebooks save (`save_table`), and the report that puts them together beside the paper's."""

from __future__ import annotations

import json
import math
import re
import time
from pathlib import Path

from s1lib.paths import figures_dir, runs_dir


def _results_dir(profile: str) -> Path:
    return runs_dir(profile) / "results"


DASH = "—"
INTERVAL = re.compile(r"^\s*([-+]?[\d.]+)\s*\[([-+]?[\d.]+),\s*([-+]?[\d.]+)\]")
WIDE = 50  # points: a table whose every 95% interval is at least this wide cannot tell its rows apart


def save_table(profile: str, name: str, table, title: str, note: str = "", undefined: str = "") -> Path:
    """Keep a notebook's result table (a DataFrame) for the report: runs/<profile>/results/<name>.json. A missing
    or undefined cell is written "—" and footnoted (`undefined` says why; a default otherwise), and a table whose
    numbers cannot mean anything at this size says so in its note (`resolution_note`)."""
    path = _results_dir(profile) / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = table.reset_index().rename(columns={"index": ""})
    cells = [[_cell(x) for x in row] for row in frame.values.tolist()]
    notes = [note, resolution_note(cells)]
    if any(x == DASH for row in cells for x in row):
        notes.append(f"{DASH}: {undefined or 'not defined for this row, or not reported in the paper'}.")
    path.write_text(
        json.dumps(
            {
                "title": title,
                "note": " ".join(n for n in notes if n),
                "columns": [str(c) for c in frame.columns],
                "rows": cells,
                "saved": time.strftime("%Y-%m-%d %H:%M"),
            }
        )
    )
    return path


def _cell(x) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)) or str(x) in ("", "nan", "None"):
        return DASH
    return str(x)


def resolution_note(cells: list[list[str]]) -> str:
    """What a table of accuracies with intervals ("12.5 [0.0, 37.5] ...") can say: nothing beyond "the pipeline
    runs" when every accuracy is 0, or when every interval is at least `WIDE` points wide."""
    found = [tuple(float(g) for g in m.groups()) for row in cells for x in row if (m := INTERVAL.match(x))]
    if not found:
        return ""
    if all(acc == 0 for acc, _, _ in found):
        return (
            "Every accuracy here is 0: at this size the model answers none of these questions, so the table shows "
            "that the pipeline runs, not the paper's effect."
        )
    if all(hi - lo >= WIDE for _, lo, hi in found):
        return (
            f"Every 95% interval here is at least {WIDE} points wide: too few questions to tell these rows apart; "
            "the table shows that the pipeline runs."
        )
    return ""


def load_tables(profile: str) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(_results_dir(profile).glob("*.json"))]


def markdown_table(columns: list[str], rows: list[list[str]]) -> str:
    def esc(x):
        return str(x).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(esc(c) for c in columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(esc(x) for x in row) + " |" for row in rows]
    return "\n".join(lines)


def write_report(profile: str, intro: str = "") -> Path:
    """figures/<profile>/report.md: every saved table and every figure written for this profile."""
    folder = figures_dir(profile)
    folder.mkdir(parents=True, exist_ok=True)
    parts = [f"# s1 companion report: profile `{profile}`", "", intro, ""]
    for table in load_tables(profile):
        parts += [f"## {table['title']}", "", markdown_table(table["columns"], table["rows"]), ""]
        if table["note"]:
            parts += [f"*{table['note']}*", ""]
    figures = sorted(p.name for p in folder.glob("*.html"))
    if figures:
        parts += ["## Figures", "", *[f"- [{name}]({name})" for name in figures], ""]
    path = folder / "report.md"
    path.write_text("\n".join(parts))
    return path
