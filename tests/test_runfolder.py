"""Run folders: pinned to one set of settings, refused with what changed, caches kept only while settings match."""

import json

import pytest

from s1lib.runfolder import cached, changes, pin, settings_hash


class Refused(Exception):
    pass


def test_a_folder_is_pinned_once_and_refused_for_other_settings(tmp_path):
    key = {"model": "m", "train": {"learning_rate": 1e-4, "epochs": 5}}
    assert pin(tmp_path / "run", "run.json", key, False, Refused, "a training run") == settings_hash(key)
    assert pin(tmp_path / "run", "run.json", key, True, Refused, "a training run") == settings_hash(key)
    other = {"model": "m", "train": {"learning_rate": 5e-5, "epochs": 5}}
    with pytest.raises(Refused, match=r"other settings \(train.learning_rate: 0.0001 -> 5e-05\)"):
        pin(tmp_path / "run", "run.json", other, True, Refused, "a training run", risk="It would resume")
    with pytest.raises(Refused, match="holds samples but no config.json"):
        pin(tmp_path / "run", "config.json", key, True, Refused, "samples")


def test_markers_written_before_the_one_module_still_pin(tmp_path):
    key = {"benchmark": "gsm8k", "forcing": {"ignore": 1}}
    (tmp_path / "config.json").write_text(json.dumps({"hash": settings_hash(key), "config": key}))
    assert pin(tmp_path, "config.json", key, True, Refused, "samples")
    (tmp_path / "run.json").write_text(json.dumps({"run_hash": settings_hash(key), "key": key}))
    assert pin(tmp_path, "run.json", key, True, Refused, "a training run")
    with pytest.raises(Refused, match="forcing.ignore: 1 -> 2"):
        pin(tmp_path, "config.json", {**key, "forcing": {"ignore": 2}}, True, Refused, "samples")


def test_a_cache_is_reused_while_its_settings_match(tmp_path):
    calls = []

    def compute():
        calls.append(1)
        return [{"accuracy": len(calls)}]

    path = tmp_path / "tts" / "sweep.json"
    assert cached(path, {"budgets": [16, 32]}, compute) == [{"accuracy": 1}]
    assert cached(path, {"budgets": [16, 32]}, compute) == [{"accuracy": 1}] and len(calls) == 1
    assert cached(path, {"budgets": [16, 64]}, compute) == [{"accuracy": 2}]
    assert changes({"a": 1, "b": {"c": 2}}, {"a": 1, "b": {"c": 3}, "d": 4}) == ["b.c: 2 -> 3", "d: None -> 4"]
