"""Range checks for settings, shared by every config's `__post_init__`: one message per rule.

A number that is not finite (inf, nan), out of range, or too large for the C integer a library
will turn it into, is refused here with the flag's name, before any work starts.
"""

from __future__ import annotations

import math

from day3.core.errors import UserError

MAX_SEED = 2**32 - 1  # numpy's limit, which transformers.set_seed passes it to

MAX_COUNT = 2**31 - 1  # sizes and counts become C ints in tokenizers, torch and Arrow


def flag(name: str) -> str:
    """`max_train_samples` -> `--max-train-samples` (names in messages are the user's flags)."""
    return name if name.startswith("--") else "--" + name.replace("_", "-")


def finite(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise UserError(f"{flag(name)} must be a finite number (got {value})")
    return value


def positive(name: str, value: float) -> float:
    finite(name, value)
    if value <= 0:
        raise UserError(f"{flag(name)} must be positive (got {value})")
    return value


def at_least(
    name: str, value: float, low: float, high: float | None = None, unit: str = ""
) -> float:
    finite(name, value)
    if value < low:
        raise UserError(f"{flag(name)} must be at least {low:g}{unit} (got {value})")
    if high is not None and value > high:
        raise UserError(f"{flag(name)} must be at most {high:g} (got {value})")
    return value


def count(name: str, value: int, low: int = 1, unit: str = "") -> int:
    """A whole number of things (samples, steps, tokens, batch rows)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise UserError(f"{flag(name)} must be a whole number (got {value})")
    return int(at_least(name, value, low, MAX_COUNT, unit))


def seed(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SEED:
        raise UserError(f"{flag(name)} must be a whole number from 0 to {MAX_SEED} (got {value})")
    return value


def fraction(name: str, value: float, closed: bool = False) -> float:
    """In [0, 1) (or [0, 1] when `closed`)."""
    finite(name, value)
    if not (0 <= value <= 1 if closed else 0 <= value < 1):
        raise UserError(f"{flag(name)} must be in [0, 1{']' if closed else ')'} (got {value})")
    return value
