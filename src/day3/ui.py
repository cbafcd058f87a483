"""Messages for people go to stderr, so that stdout stays clean for JSON and predictions."""

from __future__ import annotations

import sys

from rich.console import Console

console = Console(stderr=True, highlight=False)


def say(message: str) -> None:
    console.print(message, markup=False) if "[" in message else console.print(message)


def out(text: str) -> None:
    """Machine-readable output (JSON, predictions): stdout, unadorned."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()
