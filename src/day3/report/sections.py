"""The report's parts: each `Section` names the files it makes, the input it needs and the
command that makes that input; `Sink` writes the files and remembers where each came from.

A section whose input is missing still writes every one of its files, each saying what is
missing and which command makes it: a deck never points at nothing, and never at a number
that no run produced.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from day3.core.plots import new_figure, save_figure

COMPUTED = "computed"  # a section whose input is the embedded model or the estimator itself


@dataclass(frozen=True)
class Section:
    key: str
    what: str  # what it shows, for the manifest and Slides/README.md
    command: str  # the command that makes its input
    names: tuple[str, ...]  # every file it writes, relative to the generated folder
    find: Callable  # (Inputs) -> Output | COMPUTED | None
    make: Callable  # (found, Inputs, Sink) -> None


class Sink:
    """The generated folder being written: tables/*.md, numbers/*.txt, figures/*.png."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.entries: dict[str, dict] = {}
        self.section: Section | None = None
        self.source: str | None = None

    def _note(self, name: str, missing: bool = False, source: str | None = None) -> Path:
        if self.section is not None and name not in self.section.names:
            raise RuntimeError(f"section {self.section.key} writes {name}, not in its names")
        self.entries[name] = {
            "section": self.section.key if self.section else None,
            "source": source or self.source,
            "missing": missing,
            "command": self.section.command if self.section else None,
        }
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def text(self, name: str, text: str, source: str | None = None) -> None:
        """A table (a block of Markdown) or a number (one line)."""
        path = self._note(name, source=source)
        path.write_text(text.strip("\n") + "\n", encoding="utf-8")

    def figure(self, name: str) -> Path:
        """The path to save a figure at (day3.core.plots.save_figure)."""
        return self._note(name)

    def missing(self, name: str, why: str, command: str) -> None:
        """The file `name`, saying what is missing and the command that makes it."""
        path = self._note(name, missing=True, source=None)
        if name.endswith(".png"):
            placeholder(path, f"{why}\nrun: {command}\nthen: day3 report runs/")
        elif name.startswith("numbers/"):
            path.write_text(f"({why}: `{command}`)\n", encoding="utf-8")
        else:
            path.write_text(
                f"*{why[0].upper() + why[1:]}: run `{command}`, then `day3 report runs/`.*\n",
                encoding="utf-8",
            )


def placeholder(path: Path, message: str) -> Path:
    """A figure that says what is missing, so a slide shows the truth instead of a hole."""
    fig, ax = new_figure(figsize=(8, 3))
    ax.axis("off")
    ax.text(
        0.5,
        0.5,
        message,
        ha="center",
        va="center",
        fontsize=12,
        wrap=True,
        bbox=dict(boxstyle="round", facecolor="#f3f3f3", edgecolor="#999999"),
    )
    return save_figure(fig, path)


def run_section(section: Section, inputs, sink: Sink) -> None:
    """One section: its files from its input, or each saying what is missing."""
    found = section.find(inputs)
    sink.section = section
    if found is None or isinstance(found, str):  # missing, or COMPUTED
        sink.source = found
    elif isinstance(found, dict):  # several outputs together (the overview's three runs)
        sink.source = ", ".join(inputs.relative(o) for o in found.values())
    else:
        sink.source = inputs.relative(found)
    if found is None:
        for name in section.names:
            sink.missing(name, "not measured yet", section.command)
    else:
        section.make(found, inputs, sink)
    unwritten = [n for n in section.names if n not in sink.entries]
    if unwritten:
        raise RuntimeError(f"section {section.key} did not write {unwritten}")
    sink.section = None


def table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table; `|` inside a cell is escaped so the columns hold."""
    esc = [[str(c).replace("|", "\\|") for c in r] for r in rows]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in esc])


def source_line(inputs, found, extra: str = "") -> str:
    """The line under a table that says where its numbers come from."""
    real = found is not None and not isinstance(found, str)
    where = inputs.relative(found) if real else "computed"
    date = f", {found.written[:10]}" if real and found.written else ""
    return f"<sub>From `{where}`{date}{extra}.</sub>"
