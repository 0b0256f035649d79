"""The output of a distillation run, made to survive being killed.

* `<out>.jsonl`: one finished row per question, appended and flushed as each arrives, so a killed run loses only
  the requests in flight. A line torn by the kill is dropped on the next run (and its question done again).
* `<out>.settings.json`: the settings that made the rows; a run with other settings refuses to write there.
* `<out>.errors.jsonl`: questions that failed after every retry, with the error; they are tried again on the next
  run and the file then lists only those still failing.
Rows are keyed by `question_hash` (the official 16 hex digits of sha256).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from s1lib.data.pool import question_hash
from s1lib.errors import UserError
from s1lib.paths import write_atomic


class DistillError(UserError, ValueError):
    """An output folder made with other settings, or questions that cannot be read."""


def sidecar(out: Path, suffix: str) -> Path:
    return out.with_name(out.name.removesuffix(".jsonl") + suffix)


def read_rows(path: Path) -> list[dict]:
    """The complete rows of a JSONL file; a torn last line (a killed write) is cut off the file."""
    if not path.exists():
        return []
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1
    if end < len(data):
        with open(path, "r+b") as f:
            f.truncate(end)
    rows = []
    for number, line in enumerate(data[:end].decode("utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as err:
                raise DistillError(
                    f"{path} line {number}: not JSON ({err.msg}); it was not written by s1lib distill, or was edited"
                ) from None
    return rows


class RowStore:
    def __init__(self, out: Path, settings: dict):
        self.out = Path(out)
        self.settings_path = sidecar(self.out, ".settings.json")
        self.errors_path = sidecar(self.out, ".errors.jsonl")
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self._check_settings(settings)
        self.rows = read_rows(self.out)
        self.done = {r["question_hash"] for r in self.rows if "question_hash" in r}
        self.previous_errors = {e["question_hash"]: e for e in read_rows(self.errors_path)}
        self.errors: dict[str, dict] = {}
        self._file = open(self.out, "a", encoding="utf-8")
        self._error_file = open(self.errors_path, "a", encoding="utf-8")

    def _check_settings(self, settings: dict) -> None:
        if self.settings_path.exists():
            old = json.loads(self.settings_path.read_text())
            differ = sorted(k for k in set(old) | set(settings) if old.get(k) != settings.get(k))
            if differ:
                raise DistillError(
                    f"{self.out} holds rows made with other settings ({', '.join(differ)}: "
                    f"{', '.join(f'{old.get(k)!r} there, {settings.get(k)!r} now' for k in differ)}); "
                    "write to another --out, or delete it to start over"
                )
        elif self.out.exists() and self.out.stat().st_size:
            raise DistillError(
                f"{self.out} exists but has no {self.settings_path.name}; it was not written by "
                "s1lib distill, so its rows cannot be resumed: choose another --out"
            )
        else:
            write_atomic(self.settings_path, json.dumps(settings, indent=2, sort_keys=True))

    @staticmethod
    def key(question: str) -> str:
        return question_hash(question)

    def add(self, row: dict) -> None:
        self._file.write(json.dumps(row, ensure_ascii=False) + "\n")
        self._file.flush()
        self.done.add(row["question_hash"])
        self.errors.pop(row["question_hash"], None)

    def fail(self, key: str, question: str, error: str) -> None:
        record = {"question_hash": key, "question": question[:200], "error": error}
        self.errors[key] = record
        self._error_file.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._error_file.flush()

    def close(self) -> None:
        """Keep only the questions still failing in the errors file (none: no file)."""
        self._file.close()
        self._error_file.close()
        still = [e for k, e in {**self.previous_errors, **self.errors}.items() if k not in self.done]
        if still:
            write_atomic(self.errors_path, "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in still))
        elif self.errors_path.exists():
            os.remove(self.errors_path)


def table(rows: list[dict], width: int = 100):
    """Distilled rows as a DataFrame for reading in a notebook: question, trace and attempt (shortened), grades."""
    import pandas as pd

    def short(text: str) -> str:
        return text if len(text) <= width else text[: width - 1] + "…"

    graded = [c for c in ("isgeminicorrect", "isqwen7bcorrect", "isqwen32bcorrect") if any(c in r for r in rows)]
    return pd.DataFrame(
        [
            {
                "question": short(r["question"]),
                "thinking": short(r["thinking_trajectories"][0]),
                "attempt": short(r["attempt"]),
                **{c: r.get(c) for c in graded},
                "seconds": (r.get("distill") or {}).get("seconds"),
            }
            for r in rows
        ]
    )
