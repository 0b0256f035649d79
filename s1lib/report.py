"""Results the notebooks save (`save_table`), and the report that puts them together beside the paper's."""

from __future__ import annotations

import json
import time
from pathlib import Path

from s1lib.paths import figures_dir, runs_dir


def _results_dir(profile: str) -> Path:
    return runs_dir(profile) / "results"


def save_table(profile: str, name: str, table, title: str, note: str = "") -> Path:
    """Keep a notebook's result table (a DataFrame) for the report: runs/<profile>/results/<name>.json."""
    path = _results_dir(profile) / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = table.reset_index().rename(columns={"index": ""})
    path.write_text(
        json.dumps(
            {
                "title": title,
                "note": note,
                "columns": [str(c) for c in frame.columns],
                "rows": frame.astype(str).values.tolist(),
                "saved": time.strftime("%Y-%m-%d %H:%M"),
            }
        )
    )
    return path


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
