"""The companion as a site: executed notebooks keep their progress bars' final state, pages ask for nothing outside
the site, and (marked `site`, after the notebooks) the smoke profile's site opens in a real browser."""

import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from s1lib import site

ROOT = Path(__file__).resolve().parent.parent
KERNEL = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}}


def test_an_executed_copy_keeps_its_progress_bars_final_state(tmp_path):
    import papermill

    from s1lib.reproduce import finish_progress_bars

    source, executed = tmp_path / "bars.ipynb", tmp_path / "executed.ipynb"
    code = "from tqdm.auto import tqdm\nfor i in tqdm(range(40), desc='grading'):\n    pass"
    nbformat.write(new_notebook(cells=[new_code_cell(code)], metadata=KERNEL), source)
    papermill.execute_notebook(str(source), str(executed), kernel_name="python3", progress_bar=False)
    (bar,) = nbformat.read(executed, as_version=4).cells[0].outputs
    assert "0%" in bar.data["text/plain"]  # what papermill leaves: the bar as first drawn
    finish_progress_bars(executed)
    (bar,) = nbformat.read(executed, as_version=4).cells[0].outputs
    assert bar.data["text/plain"].startswith("grading: 100% |██████████| 40/40")


def plotly_notebook():
    import plotly.graph_objects as go
    import plotly.io as pio

    fig = go.Figure(go.Scatter(x=[1, 2], y=[3, 4]))
    init = new_output(
        "display_data", {"text/html": "<script>window.PlotlyConfig = {};</script><script>/* js */</script>"}
    )
    shown = new_output(
        "display_data",
        {
            "application/vnd.plotly.v1+json": pio.to_json(fig),
            "text/html": '<script src="https://cdnjs.cloudflare.com/ajax/libs/mathjax/3.2.2/es5/tex-svg.min.js">',
        },
    )
    cell = new_code_cell("fig.show()", outputs=[init, shown])
    return new_notebook(cells=[nbformat.v4.new_markdown_cell("# 99 · A chapter"), cell], metadata=KERNEL)


def test_a_static_page_draws_figures_from_their_data_and_asks_no_cdn():
    nb = site.static_copy(plotly_notebook())
    (output,) = nb.cells[1].outputs  # the embedded plotly.js is dropped: the page loads the site's copy
    html = output.data["text/html"]
    assert "Plotly.newPlot" in html and "https://" not in html and "application/vnd.plotly.v1+json" not in output.data


def test_the_site_has_the_report_as_landing_page_and_a_page_per_notebook(tmp_path, monkeypatch):
    monkeypatch.setattr(site, "runs_dir", lambda profile: tmp_path / "runs" / profile)
    monkeypatch.setattr(site, "figures_dir", lambda profile: tmp_path / "figures" / profile)
    with pytest.raises(site.SiteError, match="make reproduce PROFILE=p"):
        site.build("p")
    (tmp_path / "runs" / "p" / "notebooks").mkdir(parents=True)
    nbformat.write(plotly_notebook(), tmp_path / "runs" / "p" / "notebooks" / "99_chapter.ipynb")
    (tmp_path / "figures" / "p").mkdir(parents=True)
    (tmp_path / "figures" / "p" / "99_fig.html").write_text("<html></html>")
    (tmp_path / "figures" / "p" / "report.md").write_text(
        "# Report\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n- [99_fig.html](99_fig.html)\n"
    )
    index = site.build("p")
    landing = index.read_text()
    assert "<table>" in landing and 'href="figures/99_fig.html"' in landing and 'href="99_chapter.html"' in landing
    assert "99 · A chapter" in landing  # the navigation names chapters by their heading
    assert (index.parent / "plotly.min.js").stat().st_size > 1_000_000
    assert "Plotly.newPlot" in (index.parent / "99_chapter.html").read_text()


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.site
def test_the_smoke_site_in_a_browser():
    """Every page of the smoke profile's site in headless Chromium: no console error, no request leaving the
    machine, every plotly figure drawn (an SVG in it); a screenshot of the landing page under runs/."""
    if not chromium():
        pytest.skip("no Chromium on this machine: `apt install chromium` (Debian) runs this test")
    from playwright.sync_api import sync_playwright

    from s1lib.paths import runs_dir
    from s1lib.reproduce import reproduce

    if not list((runs_dir("smoke") / "notebooks").glob("[0-9][0-9]_*.ipynb")):  # fast after the notebooks ran
        reproduce(str(ROOT / "params" / "smoke.yaml"), only=["12", "10"])
    index = site.build("smoke")
    pages = [index, *sorted(p for p in index.parent.glob("*.html") if p != index)]
    pages += sorted((index.parent / "figures").glob("*.html"))
    problems = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), headless=True, args=["--no-sandbox"])
        try:
            for path in pages:
                page = browser.new_page()
                errors, outside = [], []
                page.on("console", lambda m, errors=errors: m.type == "error" and errors.append(m.text))
                page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))

                def local_only(route, outside=outside):
                    if route.request.url.startswith("file://"):
                        route.continue_()
                    else:
                        outside.append(route.request.url)
                        route.abort()

                page.route("**/*", local_only)
                page.goto(path.as_uri(), wait_until="load")
                figures = page.locator(".plotly-graph-div")
                drawn = page.locator(".plotly-graph-div .main-svg")
                if errors or outside or drawn.count() < figures.count():
                    problems.append((path.name, errors, outside, figures.count(), drawn.count()))
                if path == index:
                    page.screenshot(path=str(index.parent / "landing.png"), full_page=True)
                page.close()
        finally:
            browser.close()
    assert not problems, problems
    assert (index.parent / "landing.png").stat().st_size > 10_000 and len(pages) > 3
