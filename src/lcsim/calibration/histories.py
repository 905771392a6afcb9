"""ABC histories that are never lost: each configuration's in its own file, and a file of another configuration
(or one that cannot be read) refused in one line instead of being replaced.

A history is pyabc's SQLite database `<name>.db` and its stamp `<name>.json`: the problem's key and identity
(`Problem.identity`: priors, targets and bands, scenario, replicates, seed, fixed values). `history_path` names a
configuration's file after its key, so `lcsim calibrate` with another option writes beside the earlier history
and rerunning the earlier command resumes it. Only `fresh` (`--fresh`) removes a history, and only its own.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from ..errors import UsageError
from .problem import Problem

FRESH = "rerun with --fresh to start it over"


def history_path(folder: Path, name: str, problem: Problem) -> Path:
    """The history file of `problem` under `folder`: `<name>-<key>.db`."""
    return Path(folder) / f"{name}-{problem.key}.db"


def stamp_of(db: Path) -> Path:
    return db.with_suffix(".json")


def stamp_history(problem: Problem, db: Path) -> None:
    """Write the stamp saying which configuration `db` holds."""
    from ..experiments.store import atomic_write

    text = json.dumps({"key": problem.key, "problem": problem.name, "identity": problem.identity()}, indent=1)
    atomic_write(stamp_of(db), lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def open_history(problem: Problem, db: Path, fresh: bool = False) -> bool:
    """True when `db` holds `problem`'s history to resume; False when it is to be started (no file, or `fresh`).
    Raises one UsageError line when `db` holds another configuration's history or cannot be read."""
    stamp = stamp_of(db)
    db.parent.mkdir(parents=True, exist_ok=True)
    if fresh:
        db.unlink(missing_ok=True)
        stamp.unlink(missing_ok=True)
        return False
    if not db.exists():
        stamp.unlink(missing_ok=True)  # a stamp of no history: nothing to keep
        return False
    if not stamp.is_file():
        raise UsageError(f"{db}: an ABC history without its stamp {stamp.name}, so what it was fitted to is unknown; "
                         f"it is kept: move it away, use another --out, or {FRESH}")
    try:
        stamped = json.loads(stamp.read_text(encoding="utf-8"))
        key, identity = stamped["key"], stamped["identity"]
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as err:
        raise UsageError(f"{stamp}: the stamp of ABC history {db.name} is damaged ({type(err).__name__}); "
                         f"the history is kept: move it away, use another --out, or {FRESH}") from None
    if key != problem.key:
        raise UsageError(f"{db}: holds the ABC history of another configuration ({difference(identity, problem)}); "
                         f"it is kept: use another --out, or {FRESH}")
    if not generations(db):  # stamped, sound, but stopped before its first generation ended: nothing to keep
        db.unlink()
        return False
    return True


def difference(identity: dict, problem: Problem) -> str:
    """The first option that differs between a stamped identity and `problem`'s, in words."""
    now = problem.identity()
    for name in sorted(set(identity) | set(now)):
        old, new = identity.get(name), now.get(name)
        if old == new:
            continue
        if isinstance(old, dict) and isinstance(new, dict):
            for part in sorted(set(old) | set(new)):
                if old.get(part) != new.get(part):
                    return f"{name}.{part}: {_short(old.get(part))} there, {_short(new.get(part))} now"
        return f"{name}: {_short(old)} there, {_short(new)} now"
    return "a different key"


def _short(value) -> str:
    text = "absent" if value is None else json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def generations(db: Path) -> int:
    """How many generations the history `db` holds; one UsageError line unless it is a sound pyabc database."""
    try:
        conn = sqlite3.connect(f"file:{db.resolve()}?mode=ro", uri=True)
        try:
            status = conn.execute("PRAGMA quick_check").fetchone()[0]
            done = conn.execute("SELECT count(*) FROM populations WHERE t >= 0").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error as err:
        status, done = str(err), 0
    if status != "ok":
        raise UsageError(f"{db}: the ABC history cannot be read ({status}); it is kept: move it away, use another "
                         f"--out, or {FRESH}")
    return int(done)
