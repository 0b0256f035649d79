import json

import pytest

from s1lib.data import sources
from s1lib.data.sources import DataError, check_schema, load


@pytest.mark.parametrize(
    "name, rows", [("aime24", 30), ("math500", 500), ("gsm8k", 1319), ("math-pool-partial", 3681)]
)
def test_local_mirror_loads_with_schema(shared_data, name, rows):
    assert len(load(name)) == rows


def test_aime_answers_keep_leading_zeros(shared_data):
    assert any(r["answer"].startswith("0") for r in load("aime24"))


def _mirror(tmp_path, monkeypatch, name, lines):
    (tmp_path / name).write_text("\n".join(lines) + "\n")
    monkeypatch.setenv("S1LIB_DATA_DIR", str(tmp_path))


def test_malformed_row_names_dataset_row_and_field(tmp_path, monkeypatch):
    good = {"question": "q", "answer": "a"}
    _mirror(tmp_path, monkeypatch, "gsm8k_test.jsonl", [json.dumps(good), json.dumps({"question": 3, "answer": "a"})])
    with pytest.raises(DataError, match=r"gsm8k .*line 2 field 'question' should be str, got int"):
        load("gsm8k")
    _mirror(tmp_path, monkeypatch, "gsm8k_test.jsonl", [json.dumps(good), json.dumps({"question": "q"})])
    with pytest.raises(DataError, match=r"gsm8k_test.jsonl\): line 2 has no field 'answer'"):
        load("gsm8k")


def test_a_byte_that_is_not_utf8_is_named_by_dataset_and_line(tmp_path, monkeypatch):
    good = json.dumps({"question": "q", "answer": "a"}).encode()
    (tmp_path / "gsm8k_test.jsonl").write_bytes(good + b"\n" + good.replace(b'"q"', b'"q\xff"') + b"\n")
    monkeypatch.setenv("S1LIB_DATA_DIR", str(tmp_path))
    with pytest.raises(DataError, match=r"gsm8k: .*gsm8k_test.jsonl line 2 is not valid UTF-8 \(byte 0xff"):
        load("gsm8k")


def test_invalid_json_line_is_named(tmp_path, monkeypatch):
    _mirror(tmp_path, monkeypatch, "math500.jsonl", ['{"problem": "x"', ""])
    with pytest.raises(DataError, match=r"math500.jsonl line 1 is not valid JSON"):
        load("math500")


def test_hub_only_dataset_offline_says_how_to_mirror(tmp_path, monkeypatch):
    monkeypatch.setenv("S1LIB_DATA_DIR", str(tmp_path))
    with pytest.raises(DataError, match=r"could not load s1K from the hub \(simplescaling/s1K.*S1LIB_DATA_DIR"):
        load("s1K")
    with pytest.raises(DataError, match="unknown dataset"):
        load("s2K")


def test_local_only_dataset_without_mirror(monkeypatch):
    monkeypatch.delenv("S1LIB_DATA_DIR", raising=False)
    with pytest.raises(DataError, match="local copy"):
        load("math-pool-partial")


def s1k_row(**changes):
    row = {
        "question": "Q",
        "solution": "S",
        "cot_type": "math",
        "source_type": "qq8933/AIME_1983_2024",
        "metadata": "{}",
        "thinking_trajectories": ["t"],
        "attempt": "A",
        "cot": None,
    }
    row.update(changes)
    return row


def test_s1k_schema_on_built_rows(tmp_path, monkeypatch):
    ds = sources.REGISTRY["s1K"]
    assert check_schema([s1k_row(), s1k_row(solution=None)], ds)
    with pytest.raises(DataError, match="row 2 field 'thinking_trajectories' should be list"):
        check_schema([s1k_row(), s1k_row(thinking_trajectories="t")], ds)
    with pytest.raises(DataError, match="field 'gemini_length' should be int"):
        check_schema([s1k_row(gemini_length="long")], ds)
    _mirror(tmp_path, monkeypatch, "s1K.jsonl", [json.dumps(s1k_row())])
    assert load("s1K")[0]["attempt"] == "A"


def test_gpqa_rows_in_hub_schema():
    row = {
        "Question": "Q",
        "Correct Answer": "c",
        "Incorrect Answer 1": "x",
        "Incorrect Answer 2": "y",
        "Incorrect Answer 3": "z",
    }
    assert check_schema([row], sources.REGISTRY["gpqa-diamond"])
