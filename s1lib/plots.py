"""Plotly figures: the user's numbers beside the paper's."""

from __future__ import annotations

from pathlib import Path

import plotly.graph_objects as go

from s1lib.paths import figures_dir

PAPER_COLOUR = "#9ca3af"


def accuracy_bars(results: list[dict], paper_rows=(), title: str = "Accuracy") -> go.Figure:
    """Grouped bars per benchmark: each (model, setting) run with its 95% interval, then the paper's rows."""
    benchmarks = list(dict.fromkeys(r["benchmark"] for r in results))
    fig = go.Figure()
    for model, setting in dict.fromkeys((r["model"], r["setting"]) for r in results):
        runs = {r["benchmark"]: r for r in results if (r["model"], r["setting"]) == (model, setting)}
        ys = [100 * runs[b]["accuracy"] if b in runs else None for b in benchmarks]
        hi = [100 * (runs[b]["ci_high"] - runs[b]["accuracy"]) if b in runs else 0 for b in benchmarks]
        lo = [100 * (runs[b]["accuracy"] - runs[b]["ci_low"]) if b in runs else 0 for b in benchmarks]
        fig.add_bar(
            name=f"{model} · {setting}", x=benchmarks, y=ys, error_y=dict(type="data", array=hi, arrayminus=lo)
        )
    for row in paper_rows:
        fig.add_bar(
            name=f"paper: {row.setting}",
            x=benchmarks,
            y=[row.values.get(b) for b in benchmarks],
            marker_pattern_shape="/",
            opacity=0.6,
        )
    fig.update_layout(
        barmode="group", title=title, yaxis_title="accuracy (%)", yaxis_range=[0, 100], legend_title="run"
    )
    return fig


def scaling_curve(
    series: dict[str, list[tuple[float, float]]],
    paper: dict[str, list[tuple[float, float]]] | None = None,
    title: str = "Accuracy vs thinking tokens",
) -> go.Figure:
    """Accuracy (%) against average thinking tokens (log x axis, as Figure 1), one line per series."""
    fig = go.Figure()
    for name, points in series.items():
        xs, ys = zip(*sorted(points)) if points else ((), ())
        fig.add_scatter(x=xs, y=ys, mode="lines+markers", name=name)
    for name, points in (paper or {}).items():
        xs, ys = zip(*sorted(points))
        fig.add_scatter(
            x=xs, y=ys, mode="lines+markers", name=f"paper: {name}", line=dict(dash="dot", color=PAPER_COLOUR)
        )
    fig.update_layout(
        title=title,
        xaxis_type="log",
        xaxis_title="average thinking tokens (model tokenizer)",
        yaxis_title="accuracy (%)",
    )
    return fig


def save(fig: go.Figure, profile: str, name: str) -> Path:
    """Write `figures/<profile>/<name>.html`, which opens offline (plotly.js is written once per folder, beside the
    figures), and a PNG when kaleido can find a browser."""
    folder = figures_dir(profile)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.html"
    fig.write_html(path, include_plotlyjs="directory")
    try:
        fig.write_image(folder / f"{name}.png")
    except Exception:  # no kaleido or no Chrome: the HTML is the figure
        pass
    return path


def composition(rows: list[dict], by: str, top: int = 25, title: str | None = None) -> go.Figure:
    """Bar chart of row counts by a column (`source_type`, `domain`), largest first."""
    counts: dict[str, int] = {}
    for r in rows:
        counts[str(r.get(by))] = counts.get(str(r.get(by)), 0) + 1
    items = sorted(counts.items(), key=lambda kv: -kv[1])[:top]
    fig = go.Figure(go.Bar(x=[k for k, _ in items], y=[v for _, v in items]))
    fig.update_layout(title=title or f"Questions by {by}", yaxis_title="questions")
    return fig


def length_histograms(groups: dict[str, list[dict]], title: str = "Trace length (Qwen2.5 tokens)") -> go.Figure:
    fig = go.Figure()
    for name, rows in groups.items():
        fig.add_histogram(x=[r["length"] for r in rows], name=name, opacity=0.6, histnorm="probability")
    fig.update_layout(barmode="overlay", title=title, xaxis_title="tokens", yaxis_title="share of questions")
    return fig


def funnel(
    stages: list[tuple[str, int]], paper: list[tuple[str, int]] | None = None, title: str = "Selection funnel"
) -> go.Figure:
    fig = go.Figure(
        go.Funnel(
            name="this run", y=[s for s, _ in stages], x=[n for _, n in stages], textinfo="value+percent initial"
        )
    )
    if paper:
        fig.add_trace(go.Funnel(name="paper", y=[s for s, _ in paper], x=[n for _, n in paper], textinfo="value"))
    fig.update_layout(title=title)
    return fig


def domain_shares(groups: dict[str, list[dict]], top: int = 15, title: str = "Domains per subset") -> go.Figure:
    """Share of each subset's questions per domain, for the `top` most common domains overall."""
    overall: dict[str, int] = {}
    for rows in groups.values():
        for r in rows:
            overall[r["domain"]] = overall.get(r["domain"], 0) + 1
    domains = [d for d, _ in sorted(overall.items(), key=lambda kv: -kv[1])[:top]]
    fig = go.Figure()
    for name, rows in groups.items():
        n = max(len(rows), 1)
        fig.add_bar(name=name, x=domains, y=[sum(r["domain"] == d for r in rows) / n for d in domains])
    fig.update_layout(barmode="group", title=title, yaxis_title="share of subset")
    return fig


def loss_curve(runs: dict[str, list[dict]], title: str = "Training loss") -> go.Figure:
    """Loss per optimizer step, one line per run (records from `s1lib.train.read_log`)."""
    fig = go.Figure()
    for name, records in runs.items():
        fig.add_scatter(
            x=[r["step"] for r in records], y=[r["loss"] for r in records], mode="lines+markers", name=name
        )
    fig.update_layout(title=title, xaxis_title="optimizer step", yaxis_title="loss (assistant tokens)")
    return fig


def accuracy_by_bucket(table, title: str = "Accuracy by difficulty level", xaxis: str = "level") -> go.Figure:
    """One line per row of `table` (models x buckets, accuracy in %), buckets along x."""
    fig = go.Figure()
    for name, row in table.iterrows():
        fig.add_scatter(x=[str(c) for c in table.columns], y=list(row.values), mode="lines+markers", name=str(name))
    fig.update_layout(title=title, xaxis_title=xaxis, yaxis_title="accuracy (%)", yaxis_range=[0, 100])
    return fig
