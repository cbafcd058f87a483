"""Messages for people go to stderr, so that stdout stays clean for JSON and predictions."""

from __future__ import annotations

import os
import sys

from rich.console import Console

# soft_wrap: a message is one line however narrow the terminal (or 80 columns in a log file).
console = Console(stderr=True, highlight=False, soft_wrap=True)


def is_main_process() -> bool:
    """True but in the other ranks of a multi-process run (torchrun, accelerate launch set RANK):
    what one run has to say is said once."""
    return os.environ.get("RANK", "0") == "0"


def say(message: str) -> None:
    if not is_main_process():
        return
    console.print(message, markup=False) if "[" in message else console.print(message)


def out(text: str) -> None:
    """Machine-readable output (JSON, predictions): stdout, unadorned."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def print_table(table) -> None:
    """A rich table on stderr, never cut: when it is wider than the terminal (or the 80 columns
    rich assumes for a log file), it is drawn at its natural width instead of squeezed, so no
    number is ever shortened to `22,713,9…`."""
    from rich.measure import Measurement

    # Measured without the console's own limit: its natural width, every cell whole.
    width = Measurement.get(console, console.options.update_width(10_000), table).maximum
    target = (
        console if width <= console.width else Console(stderr=True, highlight=False, width=width)
    )
    target.print(table)


def human(n: int | None) -> str:
    if n is None:
        return "-"
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return ""
