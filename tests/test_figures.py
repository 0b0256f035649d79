"""Figures a reader can trust: every accuracy figure draws its 95% interval and says its n, a series that lies under
others is named in the figure, token axes read cleanly. The same checks run over every figure the smoke profile
wrote (`make test-notebooks` runs this file again after the notebooks)."""

import shutil
from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio
import pytest

from s1lib.plots import accuracy_bars, accuracy_by_bucket, hidden_series, scaling_curve, token_axis

ROOT = Path(__file__).resolve().parent.parent
SMOKE_FIGURES = sorted((ROOT / "figures" / "smoke").glob("*.json"))


def check_accuracy_figure(fig: go.Figure, name: str) -> None:
    assert not hidden_series(fig), f"{name}: series with no point of their own, named nowhere: {hidden_series(fig)}"
    if "accuracy" not in (fig.layout.yaxis.title.text or ""):
        return
    ours = [t for t in fig.data if t.name and not t.name.startswith("paper")]
    missing = [t.name for t in ours if t.error_y is None or t.error_y.array is None]
    assert not missing, f"{name}: no 95% interval on {missing}"
    assert "n = " in (fig.layout.title.text or ""), f"{name}: the title does not say how many questions"


def test_the_max_tokens_curve_under_the_wait_curve_is_named():
    """06 and 11 on the smoke profile: the three budget caps land on one point, the first of the "Wait" curve."""
    series = {
        "budget forcing: max tokens": [(8, 21.9, 12.5, 32.8)] * 3,
        'budget forcing: "Wait" x N': [(8, 21.9, 12.5, 32.8), (24, 60.9, 48.4, 73.4), (41, 76.6, 65.6, 86.0)],
        '"Wait" x 2, capped at each budget': [(24, 60.9, 48.4, 73.4)],
    }
    fig = scaling_curve(series, n=64, title="s1 in miniature")
    check_accuracy_figure(fig, "scaling_curve")
    note = fig.layout.annotations[0].text
    assert "budget forcing: max tokens: every point under" in note and '"Wait" x 2, capped' in note
    assert len({t.marker.symbol for t in fig.data}) == 3 and fig.data[0].marker.size > fig.data[1].marker.size

    bare = go.Figure(
        [go.Scatter(x=[p[0] for p in pts], y=[p[1] for p in pts], name=name) for name, pts in series.items()]
    )
    assert hidden_series(bare) == ["budget forcing: max tokens", '"Wait" x 2, capped at each budget']


def test_bars_and_buckets_carry_intervals_and_n():
    results = [
        {
            "model": m,
            "setting": "budget forcing",
            "benchmark": "mini-pool",
            "n": 24,
            "accuracy": a,
            "ci_low": max(a - 0.1, 0),
            "ci_high": min(a + 0.1, 1),
        }
        for m, a in (("base", 0.0), ("s1K", 0.5))
    ]
    check_accuracy_figure(accuracy_bars(results, title="Table 2"), "accuracy_bars")
    by_level = {
        "base": {1: [False] * 6, 2: [False] * 6},
        "full pool": {1: [False] * 6, 2: [False] * 6},
        "s1K": {1: [True, False] * 3, 2: [True] * 6},
    }
    fig = accuracy_by_bucket(by_level, title="Accuracy by level")
    check_accuracy_figure(fig, "accuracy_by_bucket")
    assert "(n = 6 per level)" in fig.layout.title.text
    assert "full pool: every point under base" in fig.layout.annotations[0].text


def test_token_axes_label_decades_or_stay_linear():
    assert token_axis([8, 24, 41], "tokens")["type"] == "linear"  # narrower than a decade
    log = token_axis([8, 90, 1500], "tokens")
    assert (log["type"], log["dtick"], log["tickformat"]) == ("log", 1, ",d")


@pytest.mark.skipif(
    not SMOKE_FIGURES, reason="no figures/smoke yet: `make test-notebooks` writes them, then runs this"
)
@pytest.mark.parametrize("path", SMOKE_FIGURES, ids=[p.stem for p in SMOKE_FIGURES])
def test_every_smoke_figure(path):
    check_accuracy_figure(pio.read_json(path), path.stem)


@pytest.mark.skipif(not shutil.which("chromium") and not shutil.which("google-chrome"), reason="no Chrome/Chromium")
def test_a_saved_figure_has_a_static_image_beside_it(tmp_path, monkeypatch):
    import s1lib.plots as plots

    monkeypatch.setattr(plots, "figures_dir", lambda profile: tmp_path / profile)
    fig = scaling_curve({"a": [(8, 20.0, 10.0, 30.0), (80, 40.0, 30.0, 50.0)]}, n=8, title="t")
    html = plots.save(fig, "p", "curve")
    png = html.with_suffix(".png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
    assert pio.read_json(html.with_suffix(".json")).data[0].name == "a"
