"""Include markers: generated text inside hand-written Markdown, readable on GitHub, never stale.

A table (or any block) sits between two HTML comments, which GitHub and Marp do not show:

    <!-- include: tables/strategies.md -->
    | strategy | accuracy | ...
    <!-- end include -->

and a single number the same way, inline: `took <!-- include: numbers/time/x.txt -->41 s<!--
end include --> on 2 cores` (on one line). `day3 report` replaces only what lies between the
markers with the named file of the generated folder; everything else in the document stays as
written. A figure is an ordinary image whose path lies in the generated folder:
`![](generated/figures/NAME.png)` in a deck, `Slides/generated/figures/NAME.png` from the root.
Inside a fenced code block or a `code span` a marker is only an example of the syntax: it is
left alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from day3.core.errors import UserError

INCLUDE = re.compile(r"<!-- include: (?P<name>[\w./-]+) -->(?P<body>.*?)<!-- end include -->", re.S)
OPENING = re.compile(r"<!-- include: (?P<name>[^ ]*) -->")
IMAGE = re.compile(r"!\[[^\]]*\]\((?:\.\./)?(?:Slides/)?generated/(?P<name>[^)\s]+)\)")
FENCE = re.compile(r"^(```+|~~~+)[^\n]*\n.*?^\1[ \t]*$", re.S | re.M)
CODE_SPAN = re.compile(r"`[^`\n]+`")


@dataclass(frozen=True)
class Reference:
    """One thing a document takes from the generated folder."""

    name: str  # relative to the generated folder: tables/x.md, figures/x.png
    line: int  # 1-based, in the document
    kind: str  # "block" | "inline" | "image"


def _line(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def _masked(text: str) -> str:
    """`text` with every fenced code block and `code span` blanked (same length, same lines):
    the markers and images found in it are the live ones, at the same positions as in `text`."""
    blank = FENCE.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)
    return CODE_SPAN.sub(lambda m: " " * len(m.group(0)), blank)


def references(text: str) -> list[Reference]:
    """Every include and every generated image of a document, in order."""
    refs, live = [], _masked(text)
    for m in INCLUDE.finditer(live):
        kind = "block" if m["body"].startswith("\n") else "inline"
        refs.append(Reference(m["name"], _line(text, m.start()), kind))
    refs += [Reference(m["name"], _line(text, m.start()), "image") for m in IMAGE.finditer(live)]
    return sorted(refs, key=lambda r: r.line)


def check_markers(text: str, where: str) -> None:
    """Every opening marker has its end: a lost `<!-- end include -->` would otherwise let a
    rewrite swallow the text up to the next include."""
    text = _masked(text)
    opened = [m.start() for m in OPENING.finditer(text)]
    closed = {m.start() for m in INCLUDE.finditer(text)}
    for m in INCLUDE.finditer(text):
        if OPENING.search(m["body"]):
            raise UserError(
                f"{where}:{_line(text, m.start())}: include {m['name']} holds another include; "
                "close each one with `<!-- end include -->` before the next"
            )
    for start in opened:
        if start not in closed:
            raise UserError(
                f"{where}:{_line(text, start)}: an include marker without its "
                "`<!-- end include -->`; add the end marker after the generated text"
            )


def render(text: str, content: Callable[[str], str | None], where: str = "document") -> str:
    """`text` with every include's body replaced by `content(name)`; a name the report does
    not make is refused with its line, and nothing outside the markers changes."""
    check_markers(text, where)
    out, done = [], 0
    for m in INCLUDE.finditer(_masked(text)):  # outside code the two texts are the same
        out += [text[done : m.start()], _replaced(text, m, content, where)]
        done = m.end()
    return "".join(out) + text[done:]


def _replaced(text: str, m: re.Match, content: Callable[[str], str | None], where: str) -> str:
    """One include with its new body: a block stays on its own lines, a number on its line."""
    new = content(m["name"])
    if new is None:
        raise UserError(
            f"{where}:{_line(text, m.start())}: include {m['name']} is not something day3 "
            "report makes; check the name against Slides/generated/manifest.json"
        )
    block = m["body"].startswith("\n")
    body = "\n" + new.strip("\n") + "\n" if block else " ".join(new.split())
    return f"<!-- include: {m['name']} -->{body}<!-- end include -->"


def folder_content(root: Path) -> Callable[[str], str | None]:
    """`content` for `render`: the text of a file of the generated folder, None if absent."""

    def content(name: str) -> str | None:
        path = (root / name).resolve()
        if root.resolve() not in path.parents or not path.is_file() or path.suffix == ".png":
            return None
        return path.read_text(encoding="utf-8")

    return content
