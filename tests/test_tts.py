import pytest

from s1lib.eval.tts import curves, tts_metrics
from s1lib.infer.control import class_conditional, step_conditional, token_conditional


def test_control_prompts_match_the_official_tasks():
    assert token_conditional(2048) == "\n\nThink for up to 2048 tokens."
    assert step_conditional(64) == "\n\nThink for up to 64 steps."
    assert class_conditional("short") == (
        "\n\nAnswer after a short amount of thinking. Do not spend excessive time double-checking your work."
    )
    assert class_conditional("long").startswith("\n\nAnswer after a long amount of thinking. If you feel like you")
    with pytest.raises(ValueError):
        class_conditional("medium")


def row(budget, ignore, acc, tokens):
    # the paper's Qwen count differs from the model's on purpose: the metrics must use one count, the model's
    return {
        "budget": budget,
        "ignore": ignore,
        "accuracy": acc,
        "thinking_tokens": tokens,
        "paper_thinking_tokens": tokens * 3 + 83,
        "ci_low": max(acc - 5, 0),
        "ci_high": min(acc + 5, 100),
    }


def test_curves_split_capping_and_extending():
    rows = [
        row(512, 0, 10, 400),
        row(1024, 0, 20, 900),
        row("auto", 0, 30, 2000),
        row("auto", 1, 35, 2600),
        row("auto", 2, 36, 3000),
        row(512, 1, 11, 500),
    ]
    c = curves(rows)
    assert [r["budget"] for r in c["budget forcing: max tokens"]] == [512, 1024]
    assert [r["ignore"] for r in c['budget forcing: "Wait" x N']] == [0, 1, 2]


def test_tts_metrics_hand_computed():
    rows = [row(1000, 0, 10, 900), row(2000, 0, 30, 2100)]  # the second overshoots its cap
    m = tts_metrics(rows, [(None, 1000), (None, 2000)])
    assert m["control"] == 50 and m["performance"] == 30 and m["settings"] == 2
    assert m["scaling"] == pytest.approx(20 / (1.2223924213364481))  # (30-10) / log2(2100/900)


def test_curves_leave_out_the_string_only_controls():
    rows = [row("auto", 0, 10, 8), row("auto", 1, 70, 40), {**row("auto", 1, 11, 9), "control": True}]
    assert [r["accuracy"] for r in curves(rows)['budget forcing: "Wait" x N']] == [10, 70]


def test_extension_table_pairs_every_setting_with_no_forcing():
    from s1lib.eval.tts import extension_table

    def scored(ignore, correct, control=False):
        return {
            **row("auto", ignore, 100 * sum(correct) / len(correct), 10 + ignore),
            "control": control,
            "correct": correct,
            "ci_low": 0,
            "ci_high": 100,
            "n": len(correct),
        }

    rows = [
        scored(0, [1, 0, 0, 0]),
        scored(1, [1, 1, 1, 0]),
        scored(1, [1, 0, 0, 0], control=True),
        scored(2, [1, 1, 1, 1]),
        {**scored(0, [0, 0, 0, 0]), "budget": 16},
    ]
    table = extension_table(rows)
    assert list(table.index) == ["no forcing", '"Wait" x 1', '"Wait" x 1, then end', '"Wait" x 2']
    assert list(table["vs no forcing"]) == [0, 50, 0, 75]
    assert table.loc['"Wait" x 2', "change ci_low"] > 0 and table.loc['"Wait" x 1, then end', "change ci_high"] == 0


def test_curve_series_adds_one_capped_curve_per_wait_count():
    from s1lib.eval.tts import curve_series

    rows = [
        row(16, 0, 10, 8),
        row(32, 0, 10, 8),
        row("auto", 0, 10, 8),
        row(16, 1, 12, 16),
        row(32, 1, 30, 32),
        row("auto", 1, 40, 40),
        {**row("auto", 1, 11, 9), "control": True},
    ]
    assert set(curve_series(rows)) == {"budget forcing: max tokens", 'budget forcing: "Wait" x N'}
    series = curve_series(rows, capped_waits=True)
    assert series['"Wait" x 1, capped at each budget'] == [(16, 12, 7, 17), (32, 30, 25, 35)]
    assert series['budget forcing: "Wait" x N'] == [(8, 10, 5, 15), (40, 40, 35, 45)]  # with the 95% interval


def test_a_method_whose_budgets_never_bind_is_named():
    from s1lib.eval.tts import unbound

    runs = {
        "BF": [{"thinking_tokens": 8.0}, {"thinking_tokens": 8.0}],
        "RS": [{"thinking_tokens": 8.1}, {"thinking_tokens": 21.3}],
    }
    (line,) = unbound(runs)
    assert line.startswith("BF: every setting thinks 8 tokens")
