"""Figures, one way: a headless backend (no screen on a CI runner or a server), a new figure,
and saving it as a PNG whose layout fits, closed afterwards so a long comparison does not pile
up open figures."""

from __future__ import annotations

from pathlib import Path


def pyplot():
    """matplotlib.pyplot on the Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def new_figure(*args, **kwargs):
    """(figure, axes) as `plt.subplots` makes them, on the headless backend."""
    return pyplot().subplots(*args, **kwargs)


def save_figure(fig, path: Path, dpi: int = 110) -> Path:
    """Lay out, save as PNG, close."""
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    pyplot().close(fig)
    return Path(path)
