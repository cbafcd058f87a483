"""Output folders are written whole or not at all, and never over something precious.

Work happens in `<output>.partial/`; only a complete result is renamed to `<output>`. A crash, a
Ctrl-C or a bad row leaves the user's previous results untouched and no half-written folder
that looks finished.

One rule for every verb that writes, checked by `RunFolder.check()` before any slow work:
- an existing non-empty output is refused unless `overwrite` (or `replace_own`, below);
- never replaced, whatever the flags: the current folder, a folder above it, home, `/`, a git
  checkout, a folder that holds other day3 outputs, and the verb's own inputs (or a folder that
  holds them);
- never written inside another day3 output: a later `--overwrite` of the outer one would
  delete it without a word.

Every folder the kit writes carries a marker file (`day3-output.json`: what wrote it, when). It
is how the rule above recognises the kit's own outputs, and how a lesson's *default* output
(`replace_own`) replaces its own previous result on a rerun and nothing else.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from day3.core.errors import UserError

MARKER = "day3-output.json"


def read_json_object(path: Path) -> dict:
    """A JSON object from `path`; {} when the file is absent, unreadable or not an object."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def read_marker(folder: Path) -> dict | None:
    """The marker of a folder the kit wrote, or None (not a day3 output, or unreadable)."""
    data = read_json_object(Path(folder) / MARKER)
    return data if "kind" in data else None


def is_kit_output(folder: Path) -> bool:
    return read_marker(folder) is not None


def enclosing_output(path: Path) -> Path | None:
    """The day3 output folder `path` lies inside (strictly), if any."""
    for parent in Path(path).resolve().parents:
        if is_kit_output(parent):
            return parent
    return None


def nested_output(folder: Path, limit: int = 100_000) -> Path | None:
    """A day3 output somewhere below `folder` (not `folder` itself), if any."""
    seen = 0
    for root, dirs, _ in os.walk(folder):
        for name in dirs:
            if (Path(root) / name / MARKER).is_file():
                return Path(root) / name
        seen += len(dirs)
        if seen > limit:  # a huge tree is nobody's run folder: refuse to guess
            return Path(root)
    return None


def check_place(out: Path) -> None:
    """Where no output may go, whatever the flags: the current folder, a folder above it, home,
    `/`, a git checkout, an existing file, or inside another day3 output (replacing that one
    later would delete it without a word)."""
    if _precious(out):
        raise UserError(
            f"--output {out} is the current folder, one above it, your home, the "
            "file-system root or a git checkout; a run would replace it whole: name a new "
            "folder, e.g. runs/my-run"
        )
    if out.exists() and not out.is_dir():
        raise UserError(f"output {out} exists and is a file; choose another --output")
    outer = enclosing_output(out)
    if outer is not None:
        raise UserError(
            f"--output {out} is inside the day3 output {outer}; replacing that one later "
            "would delete it: choose a folder outside it, e.g. a sibling of it"
        )


@dataclass
class RunFolder:
    output: Path
    overwrite: bool = False
    kind: str = "run"  # what the marker says wrote it: classifier-run, forgetting-report, …
    inputs: tuple = ()  # folders this verb reads: never replaced, nested or written over
    replace_own: bool = False  # a lesson's default output: replace the kit's own previous one
    info: dict = field(default_factory=dict)  # extra marker fields

    def __post_init__(self) -> None:
        self.output = Path(self.output).expanduser()
        if self.output.name in ("", ".", ".."):  # `.` or `..`: name the folder for real
            self.output = self.output.resolve()
        self.inputs = tuple(Path(p).expanduser() for p in self.inputs if p is not None)

    @property
    def partial(self) -> Path:
        return self.output.with_name(self.output.name + ".partial")

    def check(self) -> None:
        """Refuse to clobber results unless asked: call before any slow work."""
        out = self.output
        check_place(out)
        self._check_inputs()
        if out.is_dir() and any(out.iterdir()):
            own = self.replace_own and is_kit_output(out)
            if not (self.overwrite or own):
                raise UserError(
                    f"output folder {out} exists and is not empty; choose another "
                    "--output or pass --overwrite"
                )
            nested = nested_output(out)
            if nested is not None:
                raise UserError(
                    f"output folder {out} holds other day3 outputs ({nested}); replacing it "
                    "would delete them: choose another --output"
                )
        if self.partial.exists() and not is_kit_output(self.partial):
            raise UserError(
                f"{self.partial} exists and was not written by day3; move it away or choose "
                "another --output"
            )

    def _check_inputs(self) -> None:
        out = self.output.resolve()
        for given in self.inputs:
            inp = given.resolve()
            if out == inp or inp in out.parents:
                raise UserError(
                    f"--output {self.output} is the input {given} or inside it; write the "
                    "result somewhere else, e.g. a sibling folder"
                )
            if out in inp.parents:
                raise UserError(
                    f"--output {self.output} holds the input {given}; replacing it would delete "
                    "your input: choose another --output"
                )

    def begin(self) -> Path:
        self.check()
        if self.partial.exists():  # left by a run of ours that died: never resumed from here
            shutil.rmtree(self.partial)
        self.partial.mkdir(parents=True)
        self._write_marker(self.partial, "partial")
        return self.partial

    def commit(self) -> Path:
        self._write_marker(self.partial, "complete")
        old = self.output.with_name(self.output.name + f".old{os.getpid()}")
        if self.output.exists():
            self.output.rename(old)
        self.partial.rename(self.output)
        shutil.rmtree(old, ignore_errors=True)
        return self.output

    def abort(self) -> None:
        if self.partial.is_dir() and is_kit_output(self.partial):
            shutil.rmtree(self.partial, ignore_errors=True)

    def _write_marker(self, folder: Path, state: str) -> None:
        from day3 import __version__

        marker = {
            "kind": self.kind,
            "state": state,
            "day3": __version__,
            "written": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            **self.info,
        }
        write_json(folder / MARKER, marker)


@contextmanager
def writing(folder: RunFolder) -> Iterator[Path]:
    """`with writing(RunFolder(...)) as path:` write into `path` (`<output>.partial`); committed
    to `<output>` when the block ends, removed when it raises (Ctrl-C included)."""
    path = folder.begin()
    try:
        yield path
    except BaseException:
        folder.abort()
        raise
    folder.commit()


def as_saved(settings: dict) -> dict:
    """`settings` as they read back from JSON (tuples become lists, paths strings), so that a
    saved copy and a fresh one compare equal."""
    return json.loads(json.dumps(settings, default=str))


def differing_settings(saved: dict, current: dict) -> list[str]:
    """The names of the settings whose values differ (either side may lack some)."""
    return sorted(k for k in saved.keys() | current.keys() if saved.get(k) != current.get(k))


@dataclass
class RowJournal:
    """The rows a comparison (`forgetting encoder`, `compare-strategies`) has finished, kept
    beside its output as `<output>.rows.json`: a killed comparison continues with the next row
    on `--resume` instead of training every row again. A row is minutes; the one that was
    interrupted starts over. `identity` (the settings that decide the result) must match."""

    output: Path
    identity: dict

    def __post_init__(self) -> None:
        self.output = Path(self.output).expanduser()
        self.identity = as_saved(self.identity)

    @property
    def path(self) -> Path:
        return self.output.with_name(self.output.name + ".rows.json")

    def start(self, resume: bool, overwrite: bool = False) -> dict:
        """The saved state to continue from ({} for a fresh start)."""
        if not self.path.is_file():
            return {}
        if not resume:
            if overwrite:
                self.clear()
                return {}
            raise UserError(
                f"{self.path} holds the finished rows of an interrupted comparison; pass "
                "--resume to continue it, or --overwrite to start over"
            )
        try:
            saved = json.loads(self.path.read_text(encoding="utf-8"))
            identity, state = saved["identity"], saved["state"]
        except (ValueError, KeyError, TypeError):
            raise UserError(
                f"{self.path} is unreadable; delete it, or pass --overwrite to start over"
            ) from None
        differ = differing_settings(identity, self.identity)
        if differ:
            raise UserError(
                f"{self.path} belongs to a comparison with other settings ({', '.join(differ)}); "
                "resume with the same flags, or pass --overwrite to start over"
            )
        return state

    def save(self, state: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)  # `runs/` may not exist yet
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps({"identity": self.identity, "state": state}, default=str))
        tmp.replace(self.path)  # atomic: the journal is the old one or the new one

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


def _precious(path: Path) -> bool:
    """Folders that `--overwrite` must never replace, whatever the user typed."""
    p = path.resolve()
    cwd = Path.cwd().resolve()
    return (
        p == Path(p.anchor)
        or p == Path.home().resolve()
        or p == cwd
        or p in cwd.parents
        or (p / ".git").exists()
    )


def write_json(path: Path, obj) -> Path:
    path.write_text(json.dumps(obj, indent=2, default=str) + "\n", encoding="utf-8")
    return path
