"""Run folders: a folder, or a cache file, belongs to one set of settings. The settings are hashed
(`settings_hash`); a folder is pinned to them by a marker file written once (`pin`), and a folder that holds work of
other settings is refused with what changed (`changes`); a cache file is used only while its settings match
(`cached`). Evaluation folders (`config.json`), training folders (`run.json`) and the test-time-scaling caches
(`runs/<profile>/tts/`) all work this way.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from s1lib.paths import read_json, write_atomic


def settings_hash(key: dict) -> str:
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:12]


def changes(old: dict, new: dict, prefix: str = "") -> list[str]:
    """`a.b: old -> new` for every setting that differs, nested sections by dotted name."""
    out = []
    for k in sorted(set(old) | set(new)):
        a, b = old.get(k), new.get(k)
        if isinstance(a, dict) and isinstance(b, dict):
            out += changes(a, b, f"{prefix}{k}.")
        elif a != b:
            out.append(f"{prefix}{k}: {a!r} -> {b!r}")
    return out


def pin(
    folder: Path, marker: str, key: dict, has_work: bool, error: type[Exception], what: str, risk: str = ""
) -> str:
    """Tie `folder` to the settings `key` (`folder/marker`, written once, atomically) and return their hash; raise
    `error` when the folder holds `what` made with other settings, or holds work (`has_work`) but no readable
    marker, so the settings that made it are unknown. `risk` says what reusing it would do."""
    digest, path = settings_hash(key), folder / marker
    old = read_json(path)  # None also when a kill cut it off mid-write (before writes were atomic)
    advice = (f"{risk}: u" if risk else "U") + "se another --out, or delete the folder."
    if old is None and has_work:
        state = f"an unreadable {marker}" if path.is_file() else f"no {marker}"
        raise error(f"{folder} holds {what} but {state}, so the settings that made them are unknown. {advice}")
    if old is not None:
        old_hash, old_key = old.get("hash", old.get("run_hash")), old.get("key", old.get("config", {}))
        if old_hash != digest:
            changed = "; ".join(changes(old_key, key)) or f"hash {old_hash} vs {digest}"
            raise error(f"{folder} holds {what} from other settings ({changed}). {advice}")
        return digest
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps({"hash": digest, "key": key}, indent=2))
    return digest


def load_cached(path: Path, key: dict):
    """The value cached in `path` for `key`, or None (no file, or one made with other settings)."""
    stored = read_json(path)
    if stored is not None and stored.get("hash") == settings_hash(key):
        return stored["value"] if "value" in stored else stored.get("rows")
    return None


def store_cached(path: Path, key: dict, value) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps({"hash": settings_hash(key), "key": key, "value": value}, indent=2))


def cached(path: Path, key: dict, compute):
    """`compute()`, stored in `path` with its settings and reused while they match."""
    value = load_cached(path, key)
    if value is None:
        value = compute()
        store_cached(path, key, value)
    return value
