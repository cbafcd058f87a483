"""Reading a run folder's files without ever leaving RUNS_DIR, and values without trusting them.

A file is read only if its real path (symbolic links resolved) lies inside RUNS_DIR and it is
small enough to be a report; anything else raises `Unreadable` with the reason the summary
shows. The value readers turn what a JSON file holds into a number, a whole number or a text,
or None: a hand-edited or truncated report never crashes the summary.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

MAX_BYTES = 20 * 1024 * 1024  # a report is kilobytes; anything this large is not one


class Unreadable(Exception):
    """Why a folder or one of its files cannot be summarized (shown as the skip's reason)."""


def is_inside(path: Path, root: Path) -> bool:
    """True when `path`, its links resolved, is `root` or lies below it (`root` resolved)."""
    try:
        real = Path(path).resolve()
    except (OSError, RuntimeError):  # a loop of links leads nowhere, certainly not inside
        return False
    return real == root or root in real.parents


def read_text(path: Path, root: Path) -> str:
    name = path.name
    if not is_inside(path, root):  # checked first: nothing outside is even looked at
        raise Unreadable(f"{name} is a link leading outside the runs folder (not followed)")
    if not path.exists():
        raise Unreadable(f"{name} is missing")
    try:
        if not path.is_file():
            raise Unreadable(f"{name} is not a file")
        if path.stat().st_size > MAX_BYTES:
            raise Unreadable(f"{name} is too large to be a report")
        return path.read_text(encoding="utf-8")
    except OSError as e:
        raise Unreadable(f"{name} cannot be read ({e.strerror or e})") from None
    except UnicodeDecodeError:
        raise Unreadable(f"{name} is not UTF-8 text") from None


def read_json(path: Path, root: Path) -> dict:
    """A JSON object from `path` (inside `root`), or Unreadable saying what is wrong with it."""
    text = read_text(path, root)
    try:
        data = json.loads(text)
    except ValueError as e:
        raise Unreadable(f"{path.name} is not valid JSON ({e})") from None
    if not isinstance(data, dict):
        raise Unreadable(f"{path.name} holds no JSON object")
    return data


def number(value) -> float | None:
    """A finite number, or None (a text, a bool, null, NaN)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def whole(value) -> int | None:
    n = number(value)
    return int(n) if n is not None and n == int(n) else None


def text(value) -> str | None:
    """A short text for a table: strings as they are, numbers written out, else None."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def mapping(value) -> dict:
    return value if isinstance(value, dict) else {}


def records(value) -> list[dict]:
    """The dicts of a list (rows, results, tasks); anything else in it is left out."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
