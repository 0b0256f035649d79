"""Plotly figures: the user's numbers beside the paper's.

Every accuracy figure draws the 95% interval the tables give (the same bootstrap), and its title says how many
questions it rests on. Series that coincide stay findable: each series has its own marker symbol and a smaller marker
than the one drawn before it, and a series whose every point lies on other series' points is named in an annotation
(`hidden_series` finds one that is not; the figure tests run it over every figure a profile wrote). Token axes are
logarithmic with a label per decade where the values span one, linear where they do not."""

from __future__ import annotations

from pathlib import Path

import plotly.graph_objects as go

from s1lib.paths import figures_dir

PAPER_COLOUR = "#9ca3af"
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "cross", "star", "triangle-down", "x")


def with_n(title: str, ns) -> str:
    """`title`, with the number of questions behind it: "n = 64", or a range when the runs differ."""
    ns = sorted({int(n) for n in ns if n})
    if not ns:
        return title
    return f"{title} (n = {ns[0]})" if len(ns) == 1 else f"{title} (n = {ns[0]}-{ns[-1]})"


def _interval(points) -> dict | None:
    """Error bars from (x, y, low, high) points; None when the points carry no interval (the paper's)."""
    if not points or len(points[0]) < 4:
        return None
    return dict(type="data", array=[p[3] - p[1] for p in points], arrayminus=[p[1] - p[2] for p in points])


def token_axis(xs, title: str) -> dict:
    """A log axis labelled once per decade where the values span a decade or more; a linear one where they do not."""
    xs = [x for x in xs if x and x > 0]
    if xs and max(xs) / min(xs) >= 10:
        return dict(type="log", dtick=1, tickformat=",d", title=title)
    return dict(type="linear", title=title)


def _key(x, y) -> tuple:
    return (x if isinstance(x, str) else round(float(x), 6)), round(float(y), 6)


def _points(trace) -> set[tuple[float, float]]:
    if trace.x is None or trace.y is None:
        return set()
    return {_key(x, y) for x, y in zip(trace.x, trace.y) if x is not None and y is not None}


def name_hidden_series(fig: go.Figure) -> go.Figure:
    """Say in the figure which series have every point under other series' points, and under which."""
    traces = [t for t in fig.data if t.name and t.showlegend is not False]
    notes = []
    for trace in traces:
        mine = _points(trace)
        if mine and mine <= set().union(*(_points(t) for t in traces if t is not trace)):
            under = [t.name for t in traces if t is not trace and mine & _points(t)]
            notes.append(f"{trace.name}: every point under {' / '.join(under)}")
    if notes:  # under the plot, clear of the data and the legend
        fig.add_annotation(
            text="<br>".join(notes),
            xref="paper",
            yref="paper",
            x=0,
            y=-0.2,
            xanchor="left",
            yanchor="top",
            showarrow=False,
            align="left",
            font=dict(size=11),
        )
        fig.update_layout(margin=dict(b=110 + 16 * len(notes)))
    return fig


def hidden_series(fig: go.Figure) -> list[str]:
    """Legend entries with no point of their own (every point on another series') that no annotation names."""
    texts = " ".join(a.text or "" for a in fig.layout.annotations)
    traces = [t for t in fig.data if t.name and t.showlegend is not False and t.type == "scatter"]
    hidden = []
    for trace in traces:
        mine = _points(trace)
        others = set().union(*(_points(t) for t in traces if t is not trace))
        if mine and mine <= others and trace.name not in texts:
            hidden.append(trace.name)
    return hidden


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
        barmode="group",
        title=with_n(title, [r.get("n") for r in results]),
        yaxis_title="accuracy (%)",
        yaxis_range=[0, 100],
        legend_title="run",
    )
    return fig


def scaling_curve(
    series: dict[str, list[tuple]],
    paper: dict[str, list[tuple[float, float]]] | None = None,
    title: str = "Accuracy vs thinking tokens",
    n: int | None = None,
    xaxis_title: str = "average thinking tokens (model tokenizer)",
) -> go.Figure:
    """Accuracy (%) against tokens, one line per series of (tokens, accuracy[, low, high]) points, with their 95%
    intervals; the paper's curves dotted and grey. `n`: the questions behind every point."""
    fig = go.Figure()
    for i, (name, points) in enumerate(series.items()):
        points = sorted(points)
        fig.add_scatter(
            x=[p[0] for p in points],
            y=[p[1] for p in points],
            mode="lines+markers",
            name=name,
            error_y=_interval(points),
            marker=dict(symbol=SYMBOLS[i % len(SYMBOLS)], size=max(5, 13 - 2 * i)),
        )
    for name, points in (paper or {}).items():
        xs, ys = zip(*sorted(points))
        fig.add_scatter(
            x=xs, y=ys, mode="lines+markers", name=f"paper: {name}", line=dict(dash="dot", color=PAPER_COLOUR)
        )
    xs = [x for t in fig.data for x in t.x]
    fig.update_layout(title=with_n(title, [n]), xaxis=token_axis(xs, xaxis_title), yaxis_title="accuracy (%)")
    return name_hidden_series(fig)


def save(fig: go.Figure, profile: str, name: str) -> Path:
    """Write `figures/<profile>/<name>.html`, which opens offline (plotly.js is written once per folder, beside the
    figures), its data as `<name>.json`, and `<name>.png` for papers and static pages when kaleido finds a Chrome or
    Chromium (Debian: `apt install chromium`; elsewhere `plotly_get_chrome`)."""
    folder = figures_dir(profile)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.html"
    fig.write_html(path, include_plotlyjs="directory")
    fig.write_json(folder / f"{name}.json")  # the figure's data, for the figure tests and the site
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


def accuracy_by_bucket(
    correct: dict[str, dict], title: str = "Accuracy by difficulty level", xaxis: str = "level"
) -> go.Figure:
    """One line per model of `correct` (model -> bucket -> the questions' right/wrong), buckets along x, each point
    with its bootstrap 95% interval; the title gives the questions per bucket."""
    from s1lib.eval.metrics import bootstrap_ci

    fig, sizes = go.Figure(), set()
    for i, (name, buckets) in enumerate(correct.items()):
        points = []
        for bucket, marks in buckets.items():
            acc, lo, hi = bootstrap_ci(marks)
            points.append((str(bucket), 100 * acc, 100 * lo, 100 * hi))
            sizes.add(len(marks))
        fig.add_scatter(
            x=[p[0] for p in points],
            y=[p[1] for p in points],
            error_y=_interval(points),
            mode="lines+markers",
            name=str(name),
            marker=dict(symbol=SYMBOLS[i % len(SYMBOLS)], size=max(5, 13 - 2 * i)),
        )
    title = f"{title} (n = {min(sizes)} per {xaxis})" if len(sizes) == 1 else with_n(title, sizes)
    fig.update_layout(title=title, xaxis_title=xaxis, yaxis_title="accuracy (%)", yaxis_range=[0, 100])
    return name_hidden_series(fig)


def across_pools(correct: dict[str, dict[str, list]], title: str = "Accuracy on each pool") -> go.Figure:
    """Each arm's accuracy on every pool (`correct`: pool -> arm -> the questions' right/wrong), a marker per pool,
    over the mean over pools (a bar); each with its bootstrap 95% interval (the mean's resamples within each pool)."""
    from s1lib.eval.metrics import bootstrap_ci, stratified_bootstrap_ci

    arms = list(next(iter(correct.values())))
    mean = [(arm, *(100 * x for x in stratified_bootstrap_ci([c[arm] for c in correct.values()]))) for arm in arms]
    fig = go.Figure()
    fig.add_bar(name="mean over pools", x=arms, y=[p[1] for p in mean], error_y=_interval(mean), opacity=0.35)
    for i, (pool, by_arm) in enumerate(correct.items()):
        points = [(arm, *(100 * x for x in bootstrap_ci(by_arm[arm]))) for arm in arms]
        fig.add_scatter(
            name=pool,
            x=arms,
            y=[p[1] for p in points],
            error_y=_interval(points),
            mode="markers",
            marker=dict(symbol=SYMBOLS[i % len(SYMBOLS)], size=10),
        )
    sizes = [len(marks) for by_arm in correct.values() for marks in by_arm.values()]
    fig.update_layout(
        title=with_n(title, sizes) + " per pool", yaxis_title="accuracy (%), budget forcing", yaxis_range=[0, 100]
    )
    return name_hidden_series(fig)
