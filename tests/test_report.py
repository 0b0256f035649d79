import pandas as pd

from s1lib import report


def test_saved_tables_land_in_the_report(tmp_path, monkeypatch):
    monkeypatch.setattr(report, "runs_dir", lambda profile: tmp_path / "runs" / profile)
    monkeypatch.setattr(report, "figures_dir", lambda profile: tmp_path / "figures" / profile)
    table = pd.DataFrame({"aime24": ["50.0 [40.0, 60.0] (n=30)"], "math500": ["93.0"]}, index=["s1 | BF"])
    report.save_table("p", "04_evaluate", table, "Table 1", note="smoke numbers")
    (tmp_path / "figures" / "p").mkdir(parents=True)
    (tmp_path / "figures" / "p" / "04_accuracy.html").write_text("<html/>")
    text = report.write_report("p", "intro line").read_text()
    assert "## Table 1" in text and "| s1 \\| BF | 50.0 [40.0, 60.0] (n=30) | 93.0 |" in text
    assert "*smoke numbers*" in text and "[04_accuracy.html](04_accuracy.html)" in text and "intro line" in text


def saved(tmp_path, monkeypatch, table, **kw) -> dict:
    import json

    monkeypatch.setattr(report, "runs_dir", lambda profile: tmp_path / "runs" / profile)
    return json.loads(report.save_table("p", "t", table, "T", **kw).read_text())


def test_undefined_cells_are_a_footnoted_dash_never_nan(tmp_path, monkeypatch):
    table = pd.DataFrame({"control": [100.0, 33.3], "scaling": [-25.0, float("nan")]}, index=["BF", "TCC"])
    got = saved(tmp_path, monkeypatch, table, undefined="Scaling needs settings at two thinking lengths")
    assert got["rows"][1] == ["TCC", "33.3", "—"] and "nan" not in str(got["rows"])
    assert got["note"] == "—: Scaling needs settings at two thinking lengths."


def test_a_table_that_cannot_mean_anything_says_so(tmp_path, monkeypatch):
    zeros = pd.DataFrame({"gsm8k": ["0.0 [0.0, 0.0] (n=2)", "0.0 [0.0, 0.0] (n=2)"]}, index=["a", "b"])
    assert "Every accuracy here is 0" in saved(tmp_path, monkeypatch, zeros)["note"]
    wide = pd.DataFrame({"gsm8k": ["50.0 [0.0, 100.0] (n=2)", "0.0 [0.0, 0.0] (n=2)"]}, index=["a", "b"])
    assert saved(tmp_path, monkeypatch, wide)["note"] == ""  # one narrow interval: not every one is wide
    wide.loc["b", "gsm8k"] = "25.0 [0.0, 75.0] (n=4)"
    assert "at least 50 points wide" in saved(tmp_path, monkeypatch, wide, note="smoke")["note"]
    fine = pd.DataFrame({"mini": ["72.0 [65.5, 78.0] (n=200)", "32.0 [25.5, 38.5] (n=200)"]}, index=["a", "b"])
    assert saved(tmp_path, monkeypatch, fine)["note"] == ""


def test_results_name_models_and_show_paper_rows_only_with_numbers():
    from s1lib.eval.suite import results_table
    from s1lib.paper import main_row

    run = {
        "model": "/home/me/s1/runs/smoke/sft/s1k-0abc/final",
        "setting": "BF",
        "benchmark": "gsm8k",
        "accuracy": 0.5,
        "ci_low": 0.0,
        "ci_high": 1.0,
        "n": 2,
    }
    table = results_table([run, {**run, "benchmark": "aime24"}], [main_row("s1-32B")])
    assert list(table.index) == ["s1k-0abc · BF", "paper: s1-32B"] and table.loc["paper: s1-32B", "gsm8k"] == "—"
    assert list(results_table([run], [main_row("s1-32B")]).index) == ["s1k-0abc · BF"]  # no gsm8k in the paper
