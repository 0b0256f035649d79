"""Where things live: the repository root, per-profile run folders and the user cache; and writing there safely."""

from __future__ import annotations

import json
import os
from pathlib import Path


def repo_root() -> Path:
    """The companion's checkout: the nearest parent of the working directory holding `params/` and
    `pyproject.toml`, else the folder above the installed package (an editable install)."""
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "params").is_dir() and (folder / "pyproject.toml").is_file():
            return folder
    return Path(__file__).resolve().parent.parent


def resolve(path: str | os.PathLike) -> Path:
    """A path from a params file or the command line: absolute as given, else relative to the repo root."""
    p = Path(path).expanduser()
    return p if p.is_absolute() else repo_root() / p


def runs_dir(profile: str) -> Path:
    return repo_root() / "runs" / profile


def figures_dir(profile: str) -> Path:
    return repo_root() / "figures" / profile


def cache_dir() -> Path:
    """User cache for converted models and other reusable artifacts (`S1LIB_CACHE_DIR` overrides)."""
    root = os.environ.get("S1LIB_CACHE_DIR") or Path(os.environ.get("XDG_CACHE_HOME", "~/.cache")) / "s1lib"
    path = Path(root).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def read_json(path: Path):
    """The JSON value in `path`; None when the file is missing or not JSON (e.g. cut off by a kill mid-write)."""
    try:
        return json.loads(Path(path).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def write_atomic(path: Path, text: str) -> None:
    """Write `path` so that a kill leaves the old file or the new one, never half of either."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def write_jsonl_if_changed(path: Path, rows: list[dict]) -> Path:
    """JSONL rows at `path`, rewritten (atomically) only when the content changes, so that what reads it by
    modification time or content hash (training caches) sees a change only when there is one."""
    text = "".join(json.dumps(row) + "\n" for row in rows)
    if not path.is_file() or path.read_text() != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text)
    return path
