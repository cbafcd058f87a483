"""How the worker hands back what the learner's code did: an answer as JSON, an exception as
its type, first line and the line of the learner's file it came from."""

from __future__ import annotations

import math
import traceback
from pathlib import Path

from day3.exercise.graders import OPAQUE


def describe(error: BaseException, path: Path) -> dict:
    """An exception as the hint shows it: its type, first line, and the line of the learner's
    file it came from (the deepest frame in that file)."""
    where = None
    frames = [
        f
        for f in traceback.extract_tb(error.__traceback__)
        if f.filename and Path(f.filename).resolve() == path
    ]
    if frames:
        f = frames[-1]
        where = f"line {f.lineno} in {f.name}" + (f": {f.line.strip()}" if f.line else "")
    elif isinstance(error, SyntaxError) and error.lineno:
        where = f"line {error.lineno}"
    text = str(error).strip()
    return {
        "type": type(error).__name__,
        "message": text.splitlines()[0][:200] if text else "",
        "where": where,
    }


def to_json(value, depth: int = 0):
    """The learner's answer as JSON: numpy and torch values become numbers and lists; anything
    else is described, {OPAQUE: its type, "repr": ...}, for the grader to name in a hint."""
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {OPAQUE: "float", "repr": repr(value)}
    if depth > 20:
        return {OPAQUE: type(value).__name__, "repr": "nested too deep"}
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: to_json(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)) and len(value) <= 100_000:
        return [to_json(v, depth + 1) for v in value]
    if type(value).__module__.split(".")[0] in ("numpy", "torch") and hasattr(value, "tolist"):
        try:
            return to_json(value.tolist(), depth + 1)
        except Exception:  # a tensor on a meta device, an object array: described below
            pass
    kind = f"{type(value).__module__}.{type(value).__qualname__}".removeprefix("builtins.")
    return {OPAQUE: kind, "repr": repr(value)[:120]}
