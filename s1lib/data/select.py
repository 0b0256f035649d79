"""s1K selection and the paper's data-ablation subsets, with a funnel of counts at every stage.

The s1K algorithm follows the official `data/filter.ipynb`, seeded (the notebook set no seed, so the released
s1K cannot be regenerated bit for bit; compare with it via `compare`):

1. quality: drop rows missing a feature, then rows failing the string filters;
2. difficulty: keep `hard` questions;
3. benchmark seeds, always included: correct traces of GPQA and AIME (<= 2022) questions, and of MATH questions
   with traces longer than `math_seed_length` (5,600 Qwen tokens);
4. domains: drawn uniformly until 70% of `n` is selected, then in proportion to the domains of the AIME and GPQA
   questions (GPQA scaled to half the AIME mass, counts truncated, zero counts dropped); without any AIME/GPQA
   questions in the pool the draws stay uniform;
5. inside a domain, a question is picked with probability proportional to 2^(-rank by trace length, longest
   rank 0), without replacement; an emptied domain leaves both lists. Drawing a seed again pops it without
   growing the set, as in the notebook.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from s1lib.data.quality import has_features, string_problem

METHODS = ("s1k", "random", "diverse", "longest", "full")
SEED_SOURCES = ("Idavidrein/gpqa", "qq8933/AIME_1983_2024")


@dataclass
class Selection:
    rows: list[dict]
    funnel: list[tuple[str, int]]
    dropped: dict[str, int] = field(default_factory=dict)  # reason -> count
    n_seeds: int = 0
    notes: list[str] = field(default_factory=list)  # what a user should know about how n was met


def quality_filter(rows: list[dict]) -> tuple[list[dict], list[dict], dict[str, int]]:
    """(rows with all features, of those the rows passing the string filters, drop reasons)."""
    with_features = [r for r in rows if has_features(r)]
    reasons = Counter(string_problem(r) for r in with_features)
    clean = [r for r in with_features if string_problem(r) is None]
    dropped = {"missing feature": len(rows) - len(with_features), **{k: v for k, v in reasons.items() if k}}
    return with_features, clean, dropped


def is_seed(row: dict, math_seed_length: int) -> bool:
    if not row["trace_correct"]:
        return False
    source = row["source_type"]
    if source in SEED_SOURCES:
        return True
    return "openaimath" in source and row["length"] > math_seed_length  # qfq/ or simplescaling/ prefix


def benchmark_weights(rows: list[dict]) -> dict[str, float]:
    gpqa = Counter(r["domain"] for r in rows if r["source_type"] == "Idavidrein/gpqa")
    aime = Counter(r["domain"] for r in rows if r["source_type"] == "qq8933/AIME_1983_2024")
    if gpqa and aime:
        ratio = 0.5 * sum(aime.values()) / sum(gpqa.values())
        gpqa = Counter({d: int(c * ratio) for d, c in gpqa.items()})
    counts = gpqa + aime  # Counter addition drops zero counts, as in the notebook
    total = sum(counts.values())
    return {d: c / total for d, c in counts.items()} if total else {}


def _pick_in_domain(rng: np.random.Generator, candidates: list[dict]) -> int:
    lengths = np.array([r["length"] for r in candidates])
    ranks = len(lengths) - 1 - np.argsort(np.argsort(lengths, kind="stable"), kind="stable")  # longest: rank 0
    weights = 2.0 ** (-ranks.astype(float))
    return int(rng.choice(len(candidates), p=weights / weights.sum()))


def s1k(
    rows: list[dict], n: int = 1000, seed: int = 0, math_seed_length: int = 5600, uniform_share: float = 0.7
) -> Selection:
    _, clean, dropped = quality_filter(rows)
    hard = [r for r in clean if r["hard"]]
    rng = np.random.default_rng(seed)
    seeds = [r for r in hard if is_seed(r, math_seed_length)]
    notes = []
    if len(seeds) > n:  # the official notebook keeps every seed and would return more rows than asked
        notes.append(
            f"{len(seeds)} benchmark seeds (MATH traces longer than math_seed_length={math_seed_length}) "
            f"exceed n={n}: kept the {n} longest; raise math_seed_length to have fewer seeds"
        )
        seeds = sorted(seeds, key=lambda r: r["length"], reverse=True)[:n]
    selected = {r["qhash"]: r for r in seeds}
    pool: dict[str, list[dict]] = {}
    for r in hard:
        pool.setdefault(r["domain"], []).append(r)
    domains = sorted(pool)
    weights = benchmark_weights(hard)
    while len(selected) < n and domains:
        if len(selected) < uniform_share * n or not weights:
            domain = domains[rng.integers(len(domains))]
        else:
            names = sorted(weights)
            domain = names[rng.choice(len(names), p=np.array([weights[d] for d in names]))]
        candidates = pool[domain]
        pick = candidates.pop(_pick_in_domain(rng, candidates))
        selected.setdefault(pick["qhash"], pick)
        if not candidates:
            domains.remove(domain)
            if domain in weights:
                weights.pop(domain)
                total = sum(weights.values())
                weights = {d: w / total for d, w in weights.items()} if total else {}
    funnel = [
        ("pool", len(rows)),
        ("quality: features", len(rows) - dropped["missing feature"]),
        ("quality: strings", len(clean)),
        ("difficulty", len(hard)),
        ("benchmark seeds", len(seeds)),
        ("selected", len(selected)),
    ]
    return Selection(list(selected.values()), funnel, dropped, len(seeds), notes)


def ablation(rows: list[dict], method: str, n: int = 1000, seed: int = 0, math_seed_length: int = 5600) -> Selection:
    """The paper's ablation subsets: random (quality only), diverse (uniform over domains), longest (longest
    traces), full (the whole pool); `s1k` runs the full selection."""
    if method == "s1k":
        return s1k(rows, n, seed, math_seed_length)
    if method == "full":
        return Selection(list(rows), [("pool", len(rows)), ("selected", len(rows))])
    _, clean, dropped = quality_filter(rows)
    rng = np.random.default_rng(seed)
    if method == "random":
        picked = [clean[i] for i in sorted(rng.choice(len(clean), size=min(n, len(clean)), replace=False))]
    elif method == "longest":
        picked = sorted(clean, key=lambda r: r["length"], reverse=True)[:n]
    elif method == "diverse":
        by_domain: dict[str, list[dict]] = {}
        for r in clean:
            by_domain.setdefault(r["domain"], []).append(r)
        picked, domains = [], sorted(by_domain)
        while len(picked) < n and domains:
            d = domains[rng.integers(len(domains))]
            picked.append(by_domain[d].pop(rng.integers(len(by_domain[d]))))
            if not by_domain[d]:
                domains.remove(d)
    else:
        raise ValueError(f"unknown selection method '{method}'; choose from {', '.join(METHODS)}")
    return Selection(picked, [("pool", len(rows)), ("quality", len(clean)), ("selected", len(picked))], dropped)


def compare(selected: list[dict], reference: list[dict]) -> dict:
    """Overlap (by question hash) and distribution distances between a selection and a reference set (e.g. the
    released s1K): total-variation distance of domain shares and the 1-D Wasserstein distance of lengths."""
    from scipy.stats import wasserstein_distance

    a, b = {r["qhash"] for r in selected}, {r["qhash"] for r in reference}
    da, db = Counter(r["domain"] for r in selected), Counter(r["domain"] for r in reference)
    tv = 0.5 * sum(abs(da[d] / len(selected) - db[d] / len(reference)) for d in set(da) | set(db))
    return {
        "overlap": len(a & b),
        "overlap_share_of_reference": len(a & b) / len(b) if b else float("nan"),
        "domain_tv_distance": tv,
        "length_wasserstein": float(
            wasserstein_distance([r["length"] for r in selected], [r["length"] for r in reference])
        ),
        "mean_length": (
            float(np.mean([r["length"] for r in selected])),
            float(np.mean([r["length"] for r in reference])),
        ),
        "domains": (len(da), len(db)),
    }
