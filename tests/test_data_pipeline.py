"""Data pipeline: row checks, decontamination, quality filters, features, selection, the CLI."""

import json
import subprocess
import sys
from collections import Counter

import pytest

from s1lib.data.decontaminate import decontaminate, ngrams
from s1lib.data.features import MSC, featurize, keyword_domain
from s1lib.data.pipeline import prepare, select
from s1lib.data.pool import check_rows, load_pool, question_hash
from s1lib.data.quality import string_problem
from s1lib.data.select import ablation, benchmark_weights, compare, s1k
from s1lib.data.sources import DataError


def row(
    question, source="simplescaling/openaimath/Algebra", domain="Algebra", length=100, hard=True, correct=True, **extra
):
    base = {
        "question": question,
        "solution": "s",
        "cot_type": "math",
        "source_type": source,
        "metadata": "{}",
        "thinking_trajectories": ["t"],
        "attempt": "a",
        "qhash": question_hash(question),
        "domain": domain,
        "length": length,
        "hard": hard,
        "trace_correct": correct,
    }
    base.update(extra)
    return base


def test_question_hash_is_the_official_one():
    assert question_hash("abc") == "ba7816bf8f01cfea"


def test_bad_rows_are_named_not_raised():
    rows = [
        row("fine"),
        {"question": "", "thinking_trajectories": ["t"], "attempt": "a", "source_type": "x"},
        row("trace", thinking_trajectories=[3]),
        row("fine"),
        "not a dict",
        row("no attempt", attempt=None),
    ]
    checked = check_rows(rows)
    assert [r["question"] for r in checked.rows] == ["fine"]
    messages = [str(p) for p in checked.problems]
    assert messages == [
        "row 1 field 'question': missing or empty",
        "row 2 field 'thinking_trajectories': holds a non-string trace",
        "row 3 field 'question': duplicate of row 0",
        "row 4 field '*': not a mapping (str)",
        "row 5 field 'attempt': missing or not a string",
    ]


def test_ngrams_normalise_case_and_whitespace():
    assert ngrams("One  two THREE\nfour five six seven eight", 8) == {"one two three four five six seven eight"}
    assert ngrams("too short to match", 8) == set()


def test_decontamination_reports_what_and_why():
    test_q = "Find the number of ordered pairs of positive integers whose product is one hundred"
    rows = [
        row("Prove that " + test_q.upper() + " exactly."),
        row("A completely different question about cats and dogs"),
        row("short one"),
    ]
    kept, removed = decontaminate(rows, {"aime24": [test_q]})
    assert [r["question"] for r in kept] == [rows[1]["question"], "short one"]
    assert removed[0].row == 0 and removed[0].against == "aime24" and len(removed[0].ngram.split()) == 8


def test_cumulative_decontamination_across_sources():
    text = "one two three four five six seven eight nine"
    rows = [row(text, source="a"), row(text + " ten", source="b"), row(text + " eleven", source="a")]
    kept, removed = decontaminate(rows, {}, cumulative=True)
    assert len(kept) == 2 and removed[0].against == "earlier source a"


@pytest.mark.parametrize(
    "question, source, reason",
    [
        ("Find x. [asy]draw((0,0));[/asy]", "simplescaling/openaimath/Geometry", "Asymptote figure"),
        ("Find x. [asy]draw((0,0));[/asy]", "qq8933/AIME_1983_2024", None),
        ("See ![Image](http://x/y.png)", "a", "image link"),
        ("p3. Show that n is even.", "a", "p1.-style numbering"),
        ("The **12** cats sleep.", "a", "bold text with digits"),
        ("The **12 cats** sleep.", "a", None),  # the official pattern allows no whitespace inside the bold run
        ("The **cats** sleep 12 hours.", "a", "bold text with digits"),  # the lookahead sees digits anywhere after
        ("Plain question with 12 numbers.", "a", None),
    ],
)
def test_string_filters(question, source, reason):
    assert string_problem({"question": question, "source_type": source}) == reason


def test_keyword_domain_and_msc_codes():
    assert len(MSC) == 61 and MSC["11"] == "Number theory"
    assert keyword_domain("What is the remainder when 2^100 is divided by 7?") == "Number theory"
    assert keyword_domain("Find the area of the triangle.") == "Geometry"
    assert keyword_domain("Tell me a story.") == "Mathematics education"


def test_featurize_uses_columns_then_proxies():
    rows = [
        {**row("q1"), "isqwen7bcorrect": False, "isqwen32bcorrect": True, "gemini_length": 7, "domain": "Algebra"},
        {**row("q2"), "isqwen7bcorrect": False, "isqwen32bcorrect": False, "gemini_length": 9, "domain": None},
        {**row("q3", level=4), "gemini_length": None},
        {**row("q4 prime numbers", level=None), "thinking_trajectories": [("word " * 30).strip()]},
    ]
    for r in rows:
        for k in ("hard", "length", "domain", "trace_correct"):
            r.pop(k, None)
    rows[3].pop("level")
    f = featurize(rows, min_level=3, min_length=20)
    assert [r["hard"] for r in f] == [False, True, True, True]
    assert f[0]["length"] == 7 and f[2]["length"] == 1 and f[3]["length"] == 30  # Qwen tokens of "t" and of 30 words
    assert f[1]["domain"] == keyword_domain("q2") and f[3]["domain"] == "Number theory"


def pool_for_selection():
    rows = []
    for d, count in {"Algebra": 30, "Geometry": 30, "Number theory": 30, "Combinatorics": 6}.items():
        rows += [row(f"{d} q{i}", domain=d, length=100 + i) for i in range(count)]
    rows += [
        row(f"aime {i}", source="qq8933/AIME_1983_2024", domain=["Algebra", "Geometry"][i % 2], length=50)
        for i in range(8)
    ]
    rows += [row(f"gpqa {i}", source="Idavidrein/gpqa", domain="Combinatorics", length=60) for i in range(4)]
    rows += [row(f"easy {i}", hard=False) for i in range(10)] + [row("no feature", length=None)]
    rows += [row(f"long math {i}", source="simplescaling/openaimath/Algebra", length=6000) for i in range(3)]
    rows += [row("figure [asy]x[/asy]", source="b")]
    return rows


def test_s1k_selection_follows_the_published_steps():
    rows = pool_for_selection()
    sel = s1k(rows, n=40, seed=0)
    funnel = dict(sel.funnel)
    assert funnel["pool"] == len(rows) and funnel["quality: features"] == len(rows) - 1
    assert funnel["quality: strings"] == len(rows) - 2 and funnel["difficulty"] == len(rows) - 12
    assert sel.n_seeds == 8 + 4 + 3  # AIME, GPQA, and MATH traces over 5,600 tokens
    hashes = {r["qhash"] for r in sel.rows}
    assert len(sel.rows) == 40 == len(hashes)
    assert all(r["hard"] for r in sel.rows) and not any("easy" in r["question"] for r in sel.rows)
    assert {question_hash(f"aime {i}") for i in range(8)} <= hashes
    assert s1k(rows, n=40, seed=0).rows == sel.rows  # seeded: deterministic
    assert [r["qhash"] for r in s1k(rows, n=40, seed=1).rows] != [r["qhash"] for r in sel.rows]


def test_length_bias_prefers_long_traces():
    rows = [row(f"q{i}", domain="Algebra", length=i) for i in range(200)]
    picks = Counter()
    for seed in range(300):
        picks[s1k(rows, n=1, seed=seed).rows[0]["length"]] += 1
    assert picks[199] / 300 == pytest.approx(0.5, abs=0.1) and picks[198] / 300 == pytest.approx(0.25, abs=0.08)


def test_benchmark_weights_halve_gpqa_and_drop_zeros():
    rows = [row(f"a{i}", source="qq8933/AIME_1983_2024", domain="Algebra") for i in range(4)]
    rows += [row(f"g{i}", source="Idavidrein/gpqa", domain=d) for i, d in enumerate(["Physics"] * 3 + ["Chem"])]
    # ratio = 0.5 * 4 / 4 = 0.5: Physics int(1.5) = 1, Chem int(0.5) = 0 (dropped)
    assert benchmark_weights(rows) == {"Algebra": 0.8, "Physics": 0.2}


@pytest.mark.parametrize("method", ["random", "diverse", "longest", "full"])
def test_ablation_subsets(method):
    rows = pool_for_selection()
    sel = ablation(rows, method, n=20, seed=0)
    if method == "full":
        assert len(sel.rows) == len(rows)
        return
    assert len(sel.rows) == 20 and all(r["length"] is not None and "[asy]" not in r["question"] for r in sel.rows)
    if method == "longest":
        assert (
            min(r["length"] for r in sel.rows) >= sorted((r["length"] for r in rows if r["length"]), reverse=True)[19]
        )
    if method == "diverse":
        counts = Counter(r["domain"] for r in sel.rows)
        assert max(counts.values()) - min(counts.values()) <= 8


def test_compare_with_a_reference():
    rows = pool_for_selection()[:40]
    result = compare(rows[:20], rows[10:30])
    assert result["overlap"] == 10 and result["overlap_share_of_reference"] == 0.5
    assert compare(rows, rows)["domain_tv_distance"] == 0 and compare(rows, rows)["length_wasserstein"] == 0


def test_smoke_pool_is_in_s1_schema(shared_data):
    rows = load_pool("smoke-pool")
    assert len(rows) == 7473 + 3681
    assert check_rows(rows[:200]).problems == []
    assert {r["domain"] for r in rows} >= {"gsm8k", "Geometry", "Prealgebra"}


def test_pipeline_on_smoke_pool_removes_eval_overlap(shared_data):
    prepared = prepare("smoke-pool", ["math500", "gsm8k", "gpqa-diamond"])
    assert "gpqa-diamond" in prepared.skipped_eval_sets  # gated: not available offline
    assert prepared.removed and all(r.against in ("math500", "gsm8k") for r in prepared.removed)
    sel = select(prepared, "s1k", n=30, seed=0)
    assert [name for name, _ in sel.funnel][:3] == ["loaded", "well-formed", "decontaminated"]
    assert sel.funnel[-1] == ("selected", 30)


def test_select_cli_writes_rows_and_summary(tmp_path, shared_data):
    out = tmp_path / "sel.jsonl"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "s1lib",
            "select",
            "--pool",
            "smoke-pool",
            "--method",
            "longest",
            "--n",
            "12",
            "--seed",
            "3",
            "--against",
            "math500",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(rows) == 12 and {"question", "thinking_trajectories", "attempt", "domain", "gemini_length"} <= set(
        rows[0]
    )
    summary = json.loads(out.with_suffix(".summary.json").read_text())
    assert summary["funnel"][-1] == ["selected", 12] and summary["method"] == "longest"
    assert summary["removed_by_decontamination"] > 0


def test_official_decontamination_sets_are_read_by_their_question_field(tmp_path, monkeypatch):
    """AIME 2022-2024 and LiveCodeBench v4 (decontamination-only sets of the paper profile) load from a local
    mirror, are schema-checked, and remove the pool rows that share an 8-gram with them."""
    aime = "Find the number of ordered pairs of positive integers whose product is exactly two thousand and twenty two"
    code = "Given an array of integers nums return the length of the longest strictly increasing subsequence please"
    (tmp_path / "aimo_validation_aime.jsonl").write_text(json.dumps({"problem": aime, "answer": "8"}) + "\n")
    (tmp_path / "livecodebench_v4.jsonl").write_text(json.dumps({"question_content": code}) + "\n")
    monkeypatch.setenv("S1LIB_DATA_DIR", str(tmp_path))
    rows = [
        {**row("Q1: " + aime[:80]), "thinking_trajectories": ["t"], "attempt": "a"},
        {**row("Q2: " + code), "thinking_trajectories": ["t"], "attempt": "a"},
        {
            **row("Q3: an unrelated question about triangles and their many interesting properties"),
            "thinking_trajectories": ["t"],
            "attempt": "a",
        },
    ]
    prepared = prepare("rows", ["aime22-24", "livecodebench-v4"], rows=rows)
    assert sorted(r.against for r in prepared.removed) == ["aime22-24", "livecodebench-v4"]
    assert [r["question"][:3] for r in prepared.rows] == ["Q3:"]
    (tmp_path / "livecodebench_v4.jsonl").write_text(json.dumps({"question": code}) + "\n")
    with pytest.raises(DataError, match="livecodebench-v4 .*line 1 has no field 'question_content'"):
        prepare("rows", ["livecodebench-v4"], rows=rows)
