"""`day3 summary [RUNS_DIR]`: the facts of the course recap, collected from the run folders.

A run folder is recognised by the kit's marker (`day3-output.json`, day3.core.runs.MARKER: what
wrote it, when) anywhere below RUNS_DIR. Nothing outside RUNS_DIR is read: symbolic links to
folders are not followed, and a file whose link leads outside is refused. A folder that cannot
be summarized (a broken marker, an unfinished run, a report that does not parse) is listed as
skipped with the reason, never a crash. With no run folder at all (or no `runs/` yet: the
default folder may be missing, a folder the learner named may not) the summary still holds the
sessions' takeaways and the reading, with a note saying how to get numbers of one's own.

    facts = run_summary(SummaryConfig(Path("runs")))
    print(markdown(facts))        # day3.summary.render
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from day3.core.errors import UserError
from day3.core.flags import option
from day3.core.runs import MARKER, RunFolder, read_marker, write_json, writing
from day3.core.ui import say
from day3.summary import course
from day3.summary.files import Unreadable, read_json
from day3.summary.kinds import READERS, SECTIONS, SUMMARY, other

DEFAULT_RUNS = Path("runs")  # where the lessons write: missing only before the first lesson
LIMIT = 100_000  # folders walked at most: a tree this large is not a runs folder
LEFT_OVER = re.compile(r"\.old\d+$")  # RunFolder.commit's previous output, being removed


@dataclass
class SummaryConfig:
    """`day3 summary`: the course recap from your own run folders (what you trained, your
    numbers, forgetting, strategies, exercise score), each session's takeaways, further
    reading. Markdown on stdout; --output also writes summary.md and summary.html."""

    runs: Path = option(
        DEFAULT_RUNS, positional=True, nargs="?", help="the folder that holds your run folders"
    )
    output: Path | None = option(
        None, help="also write summary.md, summary.html and summary.json into this new folder"
    )
    overwrite: bool = option(False, help="replace a non-empty --output")
    replace_own: bool = False  # a lesson's default output: replace its own previous summary

    def __post_init__(self) -> None:
        self.runs = Path(self.runs).expanduser()
        if not self.runs.exists() and self.runs != DEFAULT_RUNS:  # a typo: say so
            raise UserError(
                f"runs folder {self.runs} does not exist; run a lesson first (e.g. python "
                "3_FineTuning/distilbert_finetuning.py) or pass the folder that holds your run "
                "folders: day3 summary PATH"
            )
        if self.runs.exists() and not self.runs.is_dir():
            raise UserError(
                f"{self.runs} is a file, not a folder; pass the folder that holds your run "
                "folders (default: runs)"
            )
        if self.output is None:
            return
        self.output = Path(self.output).expanduser()
        out, runs = self.output.resolve(), self.runs.resolve()
        if out == runs or out in runs.parents:
            raise UserError(
                f"--output {self.output} is the runs folder {self.runs} or holds it; write the "
                f"summary into a new folder, e.g. {self.runs / 'summary'}"
            )
        marker = read_marker(self.output)
        if runs in out.parents and marker is not None and marker["kind"] != SUMMARY:
            raise UserError(
                f"--output {self.output} is one of the run folders the summary reads (a "
                f"{marker['kind']}); write the summary into a new folder, e.g. "
                f"{self.runs / 'summary'}"
            )


def run_summary(config: SummaryConfig) -> dict:
    """The facts of the summary (see `collect`); with `config.output`, also summary.md,
    summary.html and summary.json there, written whole or not at all."""
    folder = None
    if config.output is not None:
        folder = RunFolder(config.output, config.overwrite, SUMMARY, (), config.replace_own)
        folder.check()  # before reading anything: a refused --output fails at once
    facts = collect(config.runs)
    if folder is not None:
        from day3.summary.render import html, markdown

        with writing(folder) as path:
            text = markdown(facts)
            (path / "summary.md").write_text(text, encoding="utf-8")
            (path / "summary.html").write_text(html(text), encoding="utf-8")
            write_json(path / "summary.json", facts)
        say(f"summary written: {folder.output}/summary.md, summary.html, summary.json")
    return facts


def collect(runs: Path) -> dict:
    """Every run folder under `runs`, read by its kind, oldest first; the skipped ones with
    why; the latest exercise score; the sessions (with how many of your outputs each has)."""
    root = Path(runs).resolve()
    try:
        if root.exists():  # only the default `runs` may be missing: no runs yet
            with os.scandir(root) as entries:
                next(entries, None)
    except OSError as e:
        raise UserError(f"{runs} cannot be read ({e.strerror}); check its permissions") from None
    found, skipped, truncated = discover(root) if root.exists() else ([], [], False)
    skipped = [{**s, "path": shown(Path(s["path"]), root, runs)} for s in skipped]
    facts: dict = {"runs_dir": str(runs), "outputs": 0, "first": None, "last": None}
    facts |= {key: [] for key in SECTIONS.values()} | {"other": []}
    for here, marker in sorted(found, key=lambda f: (_text(f[1].get("written")), str(f[0]))):
        kind = marker["kind"]
        if kind == SUMMARY:
            continue
        entry = {"kind": kind, "path": shown(here, root, runs), "date": date(marker)}
        try:
            entry |= READERS.get(kind, other)(here, root)
        except Unreadable as e:
            skipped.append({"path": entry["path"], "kind": kind, "why": str(e)})
            continue
        facts[SECTIONS.get(kind, "other")].append(entry)
        facts["outputs"] += 1
        facts["first"] = facts["first"] or entry["date"]
        facts["last"] = entry["date"] or facts["last"]
    checks = facts["exercise_checks"]
    facts["exercise"] = checks[-1] if checks else None  # the latest grading
    facts["skipped"] = sorted(skipped, key=lambda s: s["path"])
    facts["truncated"] = truncated
    counts = Counter(e["kind"] for key in (*SECTIONS.values(), "other") for e in facts[key])
    facts["sessions"] = [
        {**s, "yours": {k: counts[k] for k in s["kinds"] if counts[k]}} for s in course.sessions()
    ]
    facts["reading"] = course.reading()
    return facts


def discover(
    root: Path, limit: int | None = None
) -> tuple[list[tuple[Path, dict]], list[dict], bool]:
    """(folder, marker) of every run folder below `root` (resolved), the folders skipped with
    why, and whether the walk stopped at `limit` folders. A run folder is not searched further:
    the kit never writes one output inside another."""
    found: list[tuple[Path, dict]] = []
    skipped: list[dict] = []

    def skip(folder: Path, why: str) -> None:
        skipped.append({"path": str(folder), "kind": None, "why": why})

    def unreadable(e: OSError) -> None:
        skip(Path(e.filename or root), f"cannot be read ({e.strerror or e})")

    limit = LIMIT if limit is None else limit
    walked = 0
    for here, dirs, _ in os.walk(root, onerror=unreadable):  # links to folders: not followed
        here = Path(here)
        links = [d for d in dirs if (here / d).is_symlink()]
        for name in links:
            skip(here / name, "a symbolic link: not followed (only what lies inside is read)")
        dirs[:] = sorted(d for d in dirs if d not in links)
        marker = here / MARKER
        if marker.is_symlink() or marker.exists():
            dirs[:] = []
            try:
                found.append((here, read_marker_checked(here, root)))
            except Unreadable as e:
                skip(here, str(e))
        walked += len(dirs)
        if walked > limit:
            return found, skipped, True
    return found, skipped, False


def read_marker_checked(folder: Path, root: Path) -> dict:
    """The folder's marker, as day3.core.runs.read_marker reads it, or Unreadable with why."""
    marker = read_json(folder / MARKER, root)
    if not isinstance(marker.get("kind"), str) or not marker["kind"]:
        raise Unreadable(f"its marker {MARKER} names no kind")
    if folder.name.endswith(".partial") or marker.get("state") == "partial":
        raise Unreadable("unfinished: interrupted, or still being written")
    if LEFT_OVER.search(folder.name):
        raise Unreadable("left over from replacing an output; safe to delete")
    return marker


def shown(folder: Path, root: Path, runs: Path) -> str:
    """`folder` as the learner names it: RUNS_DIR as they typed it, then the way down."""
    try:
        rel = folder.relative_to(root)
    except ValueError:  # not below it (cannot happen for what the walk found): as it is
        return folder.as_posix()
    return (Path(runs) / rel).as_posix() if rel.parts else Path(runs).as_posix()


def date(marker: dict) -> str | None:
    """`2026-12-01T11:05:31+0000` -> `2026-12-01 11:05` (None when the marker has none)."""
    written = marker.get("written")
    return written[:16].replace("T", " ") if isinstance(written, str) and written else None


def _text(value) -> str:
    return value if isinstance(value, str) else ""
