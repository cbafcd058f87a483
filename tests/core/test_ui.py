"""What people read: tables never cut a number, messages stay on one line in a log file."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table

import day3.core.ui as ui


def narrow(monkeypatch, width: int = 60) -> io.StringIO:
    """The kit's console, as it is in a log file: no terminal, a fixed narrow width."""
    buffer = io.StringIO()
    # The kit console's own wrapping setting, on a narrow file instead of stderr.
    fake = Console(file=buffer, width=width, highlight=False, soft_wrap=ui.console.soft_wrap)
    monkeypatch.setattr(ui, "console", fake)
    monkeypatch.setattr(ui, "Console", lambda **kw: Console(file=buffer, **kw))
    return buffer


def test_a_wide_table_is_printed_whole_not_cut(monkeypatch):
    buffer = narrow(monkeypatch)
    table = Table(title="strategies")
    for name in ("strategy", "trainable params", "avg forgetting", "STS-B before → after"):
        table.add_column(name)
    table.add_row("prompt-tuning", "22,713,986", "+0.0914", "0.8103 → 0.7190")
    ui.print_table(table)
    text = buffer.getvalue()
    assert "…" not in text
    for cell in ("prompt-tuning", "22,713,986", "+0.0914", "0.8103 → 0.7190", "avg forgetting"):
        assert cell in text, text


def test_a_long_message_stays_on_one_line(monkeypatch):
    buffer = narrow(monkeypatch, width=40)
    message = "data: embedded movie-review sample — 400 train / 80 validation, classes a, b"
    ui.say(message)
    assert buffer.getvalue() == message + "\n"


def test_the_loss_curve_shows_validation_where_the_run_has_it():
    import matplotlib.pyplot as plt

    from day3.classifier.evaluate import loss_figure

    log = [{"step": s, "loss": 1 / s} for s in range(1, 6)]
    log += [{"step": 2, "eval_loss": 0.9}, {"step": 4, "eval_loss": 0.7}]
    fig = loss_figure(log, "run")
    (ax,) = fig.axes
    lines = {line.get_label(): line.get_xydata().tolist() for line in ax.get_lines()}
    assert lines["validation"] == [[2, 0.9], [4, 0.7]] and len(lines["training"]) == 5
    assert ax.get_ylim()[0] == 0
    plt.close(fig)
    fig = loss_figure(log[:5])  # no evaluation during training: the training curve alone
    assert [line.get_label() for line in fig.axes[0].get_lines()] == ["training"]
    plt.close(fig)
