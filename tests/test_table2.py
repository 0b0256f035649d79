"""Table 2 on the paper's pool (GPU profiles) is the same study as the miniature's: `table2.run` selects the five
arms with the profile's data settings, trains each with the profile's recipe and evaluates them with budget forcing.
The wiring is checked here with the smoke pool, training and evaluation stood in (the miniature runs for real in
test_mini_pool and notebook 05)."""

import json

from s1lib import table2
from s1lib.params import load_params


def test_the_pool_study_trains_and_evaluates_every_arm(tmp_path, monkeypatch, shared_data):
    import s1lib.eval.suite as suite
    import s1lib.train as train_module

    params = load_params("params/smoke.yaml", {"profile": "test-table2", "data": {"ablations": "pool"}})
    monkeypatch.setattr("s1lib.paths.runs_dir", lambda profile: tmp_path / profile)
    trained, graded = [], []

    def fake_train(p, subset, params_file=None, progress=True):
        trained.append((subset, p.train.num_train_epochs, params_file))
        return tmp_path / "models" / subset.split("/")[-1]

    def fake_grid(p, models, settings, benchmarks=None, progress=True):
        graded.append((models, settings))
        return [
            {"model": m, "setting": s, "benchmark": b} for m in models for s in settings for b in p.eval.benchmarks
        ]

    monkeypatch.setattr(train_module, "train", fake_train)
    monkeypatch.setattr(suite, "evaluate_grid", fake_grid)
    study = table2.run(params, "params/smoke.yaml")

    assert list(study.arms) == list(table2.ARMS) and study.reference == "s1K"
    assert all(len(sel.rows) <= params.data.selection_size for arm, sel in study.arms.items() if arm != "full pool")
    assert len(study.arms["full pool"].rows) > params.data.selection_size
    for method in table2.ARMS.values():
        written = tmp_path / "test-table2" / "data" / f"{method}.jsonl"
        assert written.is_file() and (subset := str(written)) in [t[0] for t in trained], subset
    assert {epochs for _, epochs, _ in trained} == {params.train.num_train_epochs}  # one recipe for every arm
    assert graded[0][1] == {"budget forcing": {}} and set(graded[0][0]) == set(table2.ARMS)
    assert {(r["model"], r["benchmark"]) for r in study.results} == {
        (arm, b) for arm in table2.ARMS for b in params.eval.benchmarks
    }
    assert study.column == "benchmark" and study.question_facets == () and "smoke-pool" in study.label
    assert json.loads((tmp_path / "test-table2" / "data" / "s1k.jsonl").read_text().splitlines()[0])["question"]
