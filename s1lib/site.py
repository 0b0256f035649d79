"""`s1lib site`: a profile's run as a static site a reader can open anywhere, offline: the report as the landing page
(the run's numbers beside the paper's), one page per executed notebook, and every figure.

Built with nbconvert (its `basic` template: cell bodies only) inside this project's own page shell, so no page asks
for anything outside the site: plotly figures are drawn from their saved data with the one plotly.js copied beside
the pages (executed copies embed plotly.js per notebook and ask a CDN for MathJax), and progress bars show their
final state as text (a static page cannot run widgets).

    s1lib site --profile smoke        # after `make reproduce`; writes runs/<profile>/site/index.html
"""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

from s1lib.errors import UserError
from s1lib.paths import figures_dir, runs_dir

WIDGET = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
PLOTLY = "application/vnd.plotly.v1+json"
STYLE = """
body { font: 15px/1.5 system-ui, sans-serif; margin: 0; color: #1f2937; }
nav { position: fixed; top: 0; bottom: 0; width: 15rem; overflow-y: auto; padding: 1rem; background: #f3f4f6; }
nav a { display: block; color: #1d4ed8; text-decoration: none; margin: 0.2rem 0; }
nav a.here { font-weight: bold; }
main { margin-left: 17rem; padding: 1rem 2rem; max-width: 70rem; }
table { border-collapse: collapse; margin: 0.5rem 0; font-size: 13px; }
th, td { border: 1px solid #d1d5db; padding: 2px 6px; text-align: right; }
pre { background: #f9fafb; padding: 0.5rem; overflow-x: auto; font-size: 12px; }
.jp-InputArea pre { background: #eef2ff; }
"""


class SiteError(UserError, FileNotFoundError):
    """Nothing to build a site from: the profile's notebooks have not been executed."""


# -- progress bars ------------------------------------------------------------------------------------------------
def final_progress(nb) -> int:
    """Give every progress-bar output of an executed notebook (a tqdm widget) the text of its final state, which the
    notebook keeps in its widget state; its text fallback is the bar as first drawn ("0%"), what every static view
    shows. Returns how many bars were rewritten."""
    states = nb.get("metadata", {}).get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    rewritten = 0
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(WIDGET)
            text = view and _bar_text(states, view.get("model_id"))
            if text:
                output["data"]["text/plain"] = text
                rewritten += 1
    return rewritten


def _bar_text(states: dict, model_id: str | None) -> str | None:
    """tqdm's widget is an HBox of (description HTML, progress, counts HTML): its text as tqdm prints it."""
    box = states.get(model_id, {})
    if box.get("model_name") != "HBoxModel":
        return None
    parts = [states.get(child.removeprefix("IPY_MODEL_"), {}) for child in box["state"].get("children", [])]
    text = []
    for part in parts:
        state = part.get("state", {})
        if part.get("model_name") == "HTMLModel":
            text.append(html.unescape(state.get("value", "")).replace("\u2007", " ").strip())
        elif part.get("model_name") in ("FloatProgressModel", "IntProgressModel"):
            total = state.get("max") or 1
            filled = round(10 * min(state.get("value", 0) / total, 1))
            text.append("|" + "█" * filled + " " * (10 - filled) + "|")
    return " ".join(t for t in text if t) or None


# -- pages --------------------------------------------------------------------------------------------------------
def static_copy(nb):
    """The notebook as a static page shows it: final progress text instead of widgets, plotly figures redrawn from
    their data without CDN scripts, plotly.js itself left to the page."""
    import plotly.io as pio

    final_progress(nb)
    nb.get("metadata", {}).pop("widgets", None)
    for cell in nb.get("cells", []):
        kept = []
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            data.pop(WIDGET, None)
            if PLOTLY in data:
                figure = pio.from_json(_json(data[PLOTLY]))
                data["text/html"] = pio.to_html(figure, include_plotlyjs=False, include_mathjax=False, full_html=False)
                data.pop(PLOTLY)
            elif "window.PlotlyConfig" in "".join(data.get("text/html", "")):
                continue  # plotly.js embedded by the notebook renderer: the page loads the site's copy
            kept.append(output)
        if "outputs" in cell:
            cell["outputs"] = kept
    return nb


def _json(value) -> str:
    import json

    return value if isinstance(value, str) else json.dumps(value)


def page(title: str, body: str, pages: list[tuple[str, str]], here: str, prefix: str = "") -> str:
    links = "".join(
        f'<a href="{prefix}{href}"{" class=here" if href == here else ""}>{html.escape(name)}</a>'
        for href, name in pages
    )
    return (
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{STYLE}</style>"
        f'<script src="{prefix}plotly.min.js"></script></head>'
        f"<body><nav>{links}</nav><main>{body}</main></body></html>\n"
    )


def notebook_body(path: Path) -> str:
    import nbformat
    from nbconvert import HTMLExporter

    nb = static_copy(nbformat.read(path, as_version=4))
    body, _ = HTMLExporter(template_name="basic").from_notebook_node(nb)
    return body


def report_body(profile: str, figure_names: list[str]) -> str:
    """The report (figures/<profile>/report.md), its figure links pointing into the site."""
    import mistune

    report = figures_dir(profile) / "report.md"
    if not report.is_file():
        raise SiteError(f"{report} is missing: run the report notebook (10_report) first")
    text = report.read_text()
    for name in figure_names:
        text = text.replace(f"]({name})", f"](figures/{name})")
    return mistune.create_markdown(plugins=["table"])(text)


def title_of(path: Path) -> str:
    """A notebook's first heading, or its file name."""
    import nbformat

    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "markdown" and (m := re.search(r"^#\s+(.+)$", cell.source, re.M)):
            return m.group(1).strip()
    return path.stem


def build(profile: str, out: Path | None = None) -> Path:
    """runs/<profile>/site/: index.html (the report), one page per executed notebook under
    runs/<profile>/notebooks/, figures/ with every figure; returns the index."""
    import plotly

    executed = sorted((runs_dir(profile) / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if not executed:
        raise SiteError(
            f"no executed notebooks in {runs_dir(profile) / 'notebooks'}: run `make reproduce PROFILE={profile}` "
            f"(or `s1lib reproduce --profile {profile}`) first"
        )
    out = Path(out or runs_dir(profile) / "site")
    shutil.rmtree(out, ignore_errors=True)
    (out / "figures").mkdir(parents=True)
    plotly_js = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    shutil.copy(plotly_js, out / "plotly.min.js")
    shutil.copy(plotly_js, out / "figures" / "plotly.min.js")  # the figure files load it from their own folder
    figures = sorted(p.name for p in figures_dir(profile).glob("*.html"))
    for name in figures:
        shutil.copy(figures_dir(profile) / name, out / "figures" / name)
    pages = [("index.html", "Report")] + [(f"{p.stem}.html", title_of(p)) for p in executed]
    (out / "index.html").write_text(
        page(f"s1 companion: {profile}", report_body(profile, figures), pages, "index.html")
    )
    for path in executed:
        (out / f"{path.stem}.html").write_text(page(title_of(path), notebook_body(path), pages, f"{path.stem}.html"))
    return out / "index.html"
