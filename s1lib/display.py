"""Show a budget-forced trace with its forced parts highlighted (terminal and notebook)."""

from __future__ import annotations

import html

from s1lib.infer.forcing import Generation

# segment kind -> (label, ANSI colour, CSS colour); model text stays plain
STYLE = {
    "think_start": ("delimiter", "90", "#6b7280"),
    "ignore": ("ignore string (forced)", "1;33", "#b45309"),
    "end": ("end of thinking (model)", "90", "#6b7280"),
    "forced_end": ("end of thinking (forced)", "1;31", "#dc2626"),
    "answer": ("answer", "36", "#0e7490"),
}


def render_terminal(gen: Generation) -> str:
    parts = [f"\033[{STYLE[k][1]}m{t}\033[0m" if k in STYLE else t for k, t in gen.segments]
    summary = (
        f"\n\n[{gen.thinking_tokens} thinking tokens, {gen.n_ignored} ignored end(s), "
        f"{'forced' if gen.forced_end else 'natural'} end]"
    )
    return "".join(parts) + summary


def render_html(gen: Generation, title: str = "") -> str:
    spans = []
    for kind, text in gen.segments:
        label, _, colour = STYLE.get(kind, ("model", "", "inherit"))
        weight = "bold" if kind in ("ignore", "forced_end") else "normal"
        spans.append(f'<span title="{label}" style="color:{colour};font-weight:{weight}">{html.escape(text)}</span>')
    legend = " · ".join(f'<span style="color:{c}">{lbl}</span>' for lbl, _, c in STYLE.values())
    head = f"<b>{html.escape(title)}</b><br>" if title else ""
    stats = (
        f"{gen.thinking_tokens} thinking tokens · {gen.n_ignored} ignored end(s) · "
        f"{'forced' if gen.forced_end else 'natural'} end"
    )
    return (
        f'<div style="font-family:monospace;white-space:pre-wrap;border:1px solid #ddd;padding:8px">{head}'
        f'{"".join(spans)}<hr style="margin:4px 0"><small>{stats}<br>{legend}</small></div>'
    )


def show(gen: Generation, title: str = "") -> None:
    from IPython.display import HTML, display

    display(HTML(render_html(gen, title)))
