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
