"""The published numbers, as data, each with its source (the paper, arXiv 2501.19393 v3; its poster; the official
repository's README and issues). Values the public sources do not confirm are marked `confirmed=False`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    setting: str
    values: dict[str, float | None]  # benchmark -> accuracy in %, None = not reported
    source: str
    confirmed: bool = True
    note: str = ""


BENCHMARKS = ("aime24", "math500", "gpqa-diamond")


def _row(setting, aime, math, gpqa, source, confirmed=True, note=""):
    return Row(setting, dict(zip(BENCHMARKS, (aime, math, gpqa))), source, confirmed, note)


_T1 = "s1 repo visuals/s11/s11_table.png (paper Table 1, with the s1.1 rows)"
MAIN_TABLE = [
    _row("o1-preview", 44.6, 85.5, 73.3, _T1),
    _row("o1-mini", 70.0, 90.0, 60.0, _T1),
    _row("o1", 74.4, 94.8, 77.3, _T1),
    _row("Gemini 2.0 Flash Thinking", 60.0, None, None, _T1),
    _row("Qwen2.5-32B-Instruct", 26.7, 84.0, 49.0, _T1),
    _row("QwQ-32B", 50.0, 90.6, 65.2, _T1),
    _row("r1", 79.8, 97.3, 71.5, _T1),
    _row("r1-distill", 72.6, 94.3, 62.1, _T1),
    _row("Sky-T1", 43.3, 82.4, 56.8, _T1),
    _row("Bespoke-32B", 63.3, 93.0, 58.1, _T1),
    _row("s1 w/o BF", 50.0, 92.6, 56.6, _T1),
    _row("s1-32B", 56.7, 93.0, 59.6, _T1),
    _row("s1.1 w/o BF", 56.7, 94.4, 60.6, _T1),
    _row("s1.1-32B", 56.7, 95.4, 63.6, _T1, note="which forcing setting produced this row is not stated"),
]

_POSTER = "s1 repo visuals/S1_POSTER.pptx, ppt/media/image10.png (paper Table 2, data ablations)"
DATA_ABLATIONS = [
    _row("1K-random", 36.7, 90.6, 52.0, _POSTER),
    _row("1K-diverse", 26.7, 91.2, 54.6, _POSTER),
    _row("1K-longest", 33.3, 90.4, 59.6, _POSTER),
    _row("59K-full", 53.3, 92.8, 58.1, _POSTER),
    _row("s1K", 50.0, 93.0, 57.6, _POSTER, note="budget forcing at max_thinking=auto"),
]


@dataclass(frozen=True)
class MethodRow:
    method: str
    control: float  # %
    scaling: float
    performance: float  # AIME24 %
    n_budgets: int
    source: str = "s1 repo visuals/S1_POSTER.pptx, ppt/media/image8.png (paper Table 3, AIME24)"


CONTROL_METHODS = [
    MethodRow("BF", 100, 15, 56.7, 5),
    MethodRow("TCC", 40, -24, 40.0, 5),
    MethodRow("TCC + BF", 100, 13, 40.0, 5),
    MethodRow("SCC", 60, 3, 36.7, 5),
    MethodRow("SCC + BF", 100, 6, 36.7, 5),
    MethodRow("CCC", 50, 25, 36.7, 2),
    MethodRow("RS", 100, -35, 40.0, 5),
]

_T4 = "paper Table 4 (extrapolation strings), recalled; not found in any stored public source"
EXTRAPOLATION = [
    _row("No extrapolation", 50.0, 93.0, 57.6, "poster s1K row; issue s1#19 'Auto: 0.5'"),
    _row("2x without string", 50.0, 90.2, 55.1, _T4, confirmed=False),
    _row('2x "Alternatively"', 50.0, 92.2, 59.6, _T4, confirmed=False),
    _row('2x "Hmm"', 50.0, 93.0, 59.6, _T4, confirmed=False),
    _row(
        '2x "Wait"',
        53.3,
        93.0,
        59.6,
        _T4 + "; AIME 53.3 corroborated by issue s1#19",
        confirmed=False,
        note="AIME24 value confirmed, MATH500 and GPQA not",
    ),
]

# Figure 1 (budget forcing, s1-32B): approximate points read off visuals/scaling.png; (thinking tokens, accuracy %)
FIGURE1_APPROX = {
    "aime24": [(512, 0.0), (1024, 13.3), (2048, 30.0), (4096, 43.3), (8192, 50.0)],
    "math500": [(512, 64.0), (1024, 80.0), (1900, 85.6), (3000, 90.6), (4500, 93.0)],
    "gpqa-diamond": [(512, 38.0), (1024, 49.5), (2048, 51.0), (4096, 57.6), (8192, 59.6)],
}
FIGURE1_SOURCE = (
    "approximate readings of s1 repo visuals/scaling.png (Figure 1); exact values are in simplescaling/results"
)

PIPELINE_FUNNEL = [
    ("collected", 59029),
    ("quality: no API errors", 54116),
    ("quality: formatting", 51581),
    ("difficulty", 24496),
    ("s1K", 1000),
]


def main_row(setting: str) -> Row:
    return next(r for r in MAIN_TABLE if r.setting == setting)
