"""Named datasets and where to read them from.

Resolution order for `load(name)`:
1. a local mirror directory, `S1LIB_DATA_DIR` (files named as in the registry below, e.g. `math500.jsonl`);
2. the Hugging Face hub through `datasets` (the dataset's `hub` id, config and split).

Every row is checked against the dataset's schema on load; a missing column or a value of the wrong type raises a
`DataError` naming the dataset, the row and the field, before any pipeline step sees the data.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from s1lib.errors import UserError
from s1lib.paths import repo_root

STR, INT, LIST, ANY = (str,), (int,), (list,), (object,)
OPT_STR = (str, type(None))


class DataError(UserError, ValueError):
    """A dataset that cannot be found or does not match its schema."""


class DataUnavailable(DataError):
    """A dataset that cannot be reached here (offline, gated, or local-only without a local copy); a malformed one
    is a plain `DataError`."""


@dataclass(frozen=True)
class Dataset:
    name: str
    hub: str | None  # None: local only
    split: str
    schema: dict[str, tuple[type, ...]]  # required columns and the types their values may have
    config: str | None = None
    local: tuple[str, ...] = ()  # file names in the local mirror, first found wins
    note: str = ""
    optional: dict[str, tuple[type, ...]] = field(default_factory=dict)  # checked only where present
    data_files: tuple[str, ...] = ()  # hub files to read instead of a config (datasets without a loader script)
    text: str | None = None  # the question field, for datasets used only to decontaminate against


_S1 = {"question": STR, "solution": OPT_STR, "cot_type": STR, "source_type": STR, "metadata": ANY}
_FEATURES = {
    "domain": OPT_STR,
    "gemini_length": (int, type(None)),
    "isgeminicorrect": (bool, type(None)),
    "isqwen7bcorrect": (bool, type(None)),
    "isqwen32bcorrect": (bool, type(None)),
}
_GSM8K = {"question": STR, "answer": STR}

REGISTRY: dict[str, Dataset] = {
    d.name: d
    for d in [
        Dataset(
            "s1K",
            "simplescaling/s1K",
            "train",
            {**_S1, "thinking_trajectories": LIST, "attempt": STR},
            local=("s1K.jsonl",),
            optional=_FEATURES,
            note="the 1,000 selected questions with Gemini traces",
        ),
        Dataset(
            "s1K-1.1",
            "simplescaling/s1K-1.1",
            "train",
            {**_S1, "deepseek_thinking_trajectory": STR, "deepseek_attempt": STR},
            local=("s1K-1.1.jsonl",),
            optional={"gemini_thinking_trajectory": OPT_STR, "gemini_attempt": OPT_STR},
            note="the same questions with DeepSeek-r1 traces",
        ),
        Dataset(
            "pool-59k",
            "simplescaling/data_ablation_full59K",
            "train",
            {**_S1, "thinking_trajectories": LIST, "attempt": STR},
            local=("data_ablation_full59K.jsonl", "pool-59k.jsonl"),
            optional=_FEATURES,
            note="the decontaminated 59,029-question pool with Gemini traces",
        ),
        Dataset(
            "aime24",
            "simplescaling/aime24_nofigures",
            "train",
            {"id": ANY, "problem": STR, "solution": STR, "answer": STR},
            local=("aime24_nofigures.jsonl",),
            note="AIME 2024 I+II, the set the paper reports",
        ),
        Dataset(
            "math500",
            "HuggingFaceH4/MATH-500",
            "test",
            {"problem": STR, "solution": STR, "answer": STR, "subject": STR, "level": INT, "unique_id": STR},
            local=("math500.jsonl",),
        ),
        Dataset(
            "gpqa-diamond",
            "Idavidrein/gpqa",
            "train",
            {
                "Question": STR,
                "Correct Answer": STR,
                "Incorrect Answer 1": STR,
                "Incorrect Answer 2": STR,
                "Incorrect Answer 3": STR,
            },
            config="gpqa_diamond",
            local=("gpqa_diamond.jsonl",),
            note="gated on the hub and not to be redistributed: log in with `hf auth login` after accepting its terms",
        ),
        Dataset("gsm8k", "openai/gsm8k", "test", _GSM8K, config="main", local=("gsm8k_test.jsonl",)),
        Dataset("gsm8k-train", "openai/gsm8k", "train", _GSM8K, config="main", local=("gsm8k_train.jsonl",)),
        Dataset(
            "aime22-24",
            "AI-MO/aimo-validation-aime",
            "train",
            {"problem": STR},
            local=("aimo_validation_aime.jsonl",),
            text="problem",
            note="AIME 2022-2024, the official decontamination set for AIME",
        ),
        Dataset(
            "livecodebench-v4",
            "livecodebench/code_generation_lite",
            "train",
            {"question_content": STR},
            data_files=("test.jsonl", "test2.jsonl", "test3.jsonl", "test4.jsonl"),
            local=("livecodebench_v4.jsonl",),
            text="question_content",
            note="LiveCodeBench release_v4 (its first four files), decontamination only",
        ),
        Dataset(
            "math-pool-partial",
            None,
            "train",
            {"problem": STR, "solution": STR, "answer": STR, "subject": STR, "level": STR, "unique_id": STR},
            local=("math_pool_partial.jsonl",),
            note="MATH train problems of four subjects; a local copy only (part of simplescaling/openaimath)",
        ),
    ]
}


def data_dir() -> Path | None:
    """The local mirror, if `S1LIB_DATA_DIR` is set (a relative path is taken from the repo root)."""
    value = os.environ.get("S1LIB_DATA_DIR")
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.is_absolute() and not path.is_dir():
        path = repo_root() / path
    if not path.is_dir():
        raise DataError(f"S1LIB_DATA_DIR={value} is not a directory")
    return path


def local_file(ds: Dataset) -> Path | None:
    folder = data_dir()
    if folder is None:
        return None
    return next((folder / n for n in ds.local if (folder / n).is_file()), None)


def read_jsonl(path: Path, name: str, with_lines: bool = False):
    """The objects of a JSONL file; a line that is not UTF-8, not JSON or not an object raises `DataError`
    naming the dataset, the file and the line (1-based). `with_lines`: also each row's line number."""
    rows, lines = [], []
    with path.open("rb") as fh:
        for line_no, raw in enumerate(fh, 1):
            try:
                line = raw.decode("utf-8-sig" if line_no == 1 else "utf-8")  # a byte-order mark is not data
            except UnicodeDecodeError as err:
                raise DataError(
                    f"{name}: {path} line {line_no} is not valid UTF-8 (byte 0x{raw[err.start]:02x} at "
                    f"column {err.start + 1}); re-save the file as UTF-8"
                ) from None
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as err:
                raise DataError(f"{name}: {path} line {line_no} is not valid JSON ({err.msg})") from None
            if not isinstance(row, dict):
                raise DataError(f"{name}: {path} line {line_no} is a {type(row).__name__}, not an object")
            rows.append(row)
            lines.append(line_no)
    return (rows, lines) if with_lines else rows


def check_schema(rows: list[dict], ds: Dataset, origin: str = "", lines: list[int] | None = None) -> list[dict]:
    """Raise `DataError` at the first row with a missing or mistyped field, naming it by its line in the file
    (`lines`) or else by its 1-based row number."""
    return check_rows(rows, ds.schema, f"{ds.name} ({origin})" if origin else ds.name, lines, ds.optional)


def check_rows(
    rows: list[dict], schema: dict, where: str, lines: list[int] | None = None, optional: dict | None = None
) -> list[dict]:
    """`check_schema` for any schema: {field: allowed types}."""
    for i, row in enumerate(rows):
        at = f"line {lines[i]}" if lines else f"row {i + 1}"
        for key, types in schema.items():
            if key not in row:
                raise DataError(f"{where}: {at} has no field '{key}' (columns: {sorted(row)})")
            if not isinstance(row[key], types):
                raise DataError(
                    f"{where}: {at} field '{key}' should be "
                    f"{'/'.join(t.__name__ for t in types)}, got {type(row[key]).__name__}"
                )
        for key, types in (optional or {}).items():
            if key in row and not isinstance(row[key], types):
                raise DataError(
                    f"{where}: {at} field '{key}' should be "
                    f"{'/'.join(t.__name__ for t in types)}, got {type(row[key]).__name__}"
                )
    return rows


def _from_hub(ds: Dataset) -> list[dict]:
    if ds.hub is None:
        raise DataUnavailable(
            f"{ds.name} exists only as a local copy: set S1LIB_DATA_DIR to a folder holding {' or '.join(ds.local)}"
        )
    import datasets

    try:
        if ds.data_files:
            table = datasets.load_dataset(ds.hub, data_files=list(ds.data_files), split=ds.split)
        else:
            table = datasets.load_dataset(ds.hub, ds.config, split=ds.split)
    except Exception as err:  # offline, gated, or a renamed dataset: say which and how to fix it
        hint = f" Note: {ds.note}." if ds.note else ""
        raise DataUnavailable(
            f"could not load {ds.name} from the hub ({ds.hub}, split {ds.split}): {type(err).__name__}: {err}.{hint} "
            f"Offline, put {ds.local[0]} in a folder and set S1LIB_DATA_DIR to it."
        ) from err
    return table.to_list()


def load(name: str) -> list[dict]:
    """Rows of dataset `name` (see `REGISTRY`), schema-checked."""
    if name not in REGISTRY:
        raise DataError(f"unknown dataset '{name}'; known: {', '.join(REGISTRY)}")
    ds = REGISTRY[name]
    path = local_file(ds)
    if path is not None:
        rows, lines = read_jsonl(path, name, with_lines=True)
        return check_schema(rows, ds, str(path), lines)
    return check_schema(_from_hub(ds), ds, ds.hub or "")
