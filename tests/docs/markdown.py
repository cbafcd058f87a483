"""Reading the decks and the notes as the tests need them: their fenced blocks (with the marker
comment before each), their slides, and their prose with code, includes and markup taken out."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DECKS = sorted((ROOT / "Slides").glob("0*.md"))
NOTES = ROOT / "LECTURE_NOTES.md"
DOCS = [*DECKS, NOTES]  # what the block and number rules apply to
ALL_DOCS = [*DOCS, ROOT / "Slides" / "README.md"]  # what may reference generated files


def read(doc: Path) -> str:
    """A document's text; the notes are written separately, so while they are absent a test
    of them is skipped (every other document must exist)."""
    if doc == NOTES and not doc.is_file():
        import pytest

        pytest.skip("LECTURE_NOTES.md is not written yet")
    return doc.read_text(encoding="utf-8")


FENCE = re.compile(r"^(?P<fence>```+|~~~+)(?P<info>[^\n`]*)$")
MARKER = re.compile(r"<!--\s*(?P<kind>illustrative|smoke):\s*(?P<text>.*?)\s*-->\s*$", re.S)
PYTHON = {"python", "py"}
SHELL = {"bash", "sh", "shell", "console"}


@dataclass
class Block:
    doc: Path
    line: int  # of the opening fence, 1-based
    info: str  # the info string's first word ("" when none)
    code: str
    marker: tuple[str, str] | None  # ("illustrative", reason) | ("smoke", "a => b; ...")

    @property
    def language(self) -> str:
        if self.info in PYTHON:
            return "python"
        if self.info in SHELL:
            return "shell"
        return self.info or "none"

    def where(self) -> str:
        return f"{self.doc.relative_to(ROOT)}:{self.line}"


def blocks(doc: Path) -> list[Block]:
    """Every fenced block, with the marker comment on the line just before it, if any."""
    lines = doc.read_text(encoding="utf-8").splitlines()
    out, i = [], 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        start, fence = i, m["fence"]
        j = i + 1
        while j < len(lines) and not lines[j].startswith(fence):
            j += 1
        prev = next((ln for ln in reversed(lines[:start]) if ln.strip()), "")
        marker = MARKER.search(prev)
        info = m["info"].strip().split()[0] if m["info"].strip() else ""
        out.append(Block(doc, start + 1, info, "\n".join(lines[start + 1 : j]) + "\n",
                         (marker["kind"], marker["text"]) if marker else None))  # fmt: skip
        i = j + 1
    return out


def front_matter_end(text: str) -> int:
    """The index just after a Marp front matter (`---` ... `---`), 0 when there is none."""
    if not text.startswith("---\n"):
        return 0
    end = text.find("\n---\n", 4)
    return end + 5 if end >= 0 else 0


def slides(doc: Path) -> list[str]:
    """A deck's slides: the text between `---` lines, outside the front matter and code."""
    text = doc.read_text(encoding="utf-8")
    body = text[front_matter_end(text) :]
    out, current, fence = [], [], None
    for line in body.splitlines():
        m = FENCE.match(line)
        if fence is None and m:
            fence = m["fence"]
        elif fence is not None and line.startswith(fence):
            fence = None
        elif fence is None and line.strip() == "---":
            out.append("\n".join(current))
            current = []
            continue
        current.append(line)
    out.append("\n".join(current))
    return out


def prose(text: str) -> str:
    """What a reader takes as the document's own claims: no front matter, fenced blocks, code
    spans, include bodies (generated), images or link targets; HTML comments (speaker notes)
    stay, their include and block markers do not."""
    text = text[front_matter_end(text) :]
    text = re.sub(r"<!-- include: [\w./-]+ -->.*?<!-- end include -->", " ", text, flags=re.S)
    kept, fence = [], None
    for line in text.splitlines():
        m = FENCE.match(line)
        if fence is None and m:
            fence = m["fence"]
            continue
        if fence is not None:
            if line.startswith(fence):
                fence = None
            continue
        kept.append(line)
    text = "\n".join(kept)
    text = re.sub(r"<!--\s*(illustrative|smoke):.*?-->", " ", text, flags=re.S)
    text = re.sub(r"`[^`\n]+`", " ", text)
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", " ", text)
    text = re.sub(r"\]\([^)]*\)", "] ", text)
    return re.sub(r"<(https?://[^>]+)>", " ", text)
