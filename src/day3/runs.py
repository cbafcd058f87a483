"""Run folders are written whole or not at all.

Work happens in `<output>.partial/`; only a complete run is renamed to `<output>`. A crash, a
Ctrl-C or a bad row leaves the user's previous results untouched and no half-written folder
that looks finished.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from day3.errors import UserError


@dataclass
class RunFolder:
    output: Path
    overwrite: bool = False

    def __post_init__(self) -> None:
        self.output = Path(self.output).expanduser()
        if self.output.name in ("", ".", ".."):  # `.` or `..`: name the folder for real
            self.output = self.output.resolve()

    @property
    def partial(self) -> Path:
        return self.output.with_name(self.output.name + ".partial")

    def check(self) -> None:
        """Refuse to clobber results unless asked: call before any slow work."""
        if _precious(self.output):
            raise UserError(
                f"--output {self.output} is the current folder, one above it, your home, the "
                "file-system root or a git checkout; a run would replace it whole: name a new "
                "folder, e.g. runs/my-run"
            )
        if self.output.exists() and not self.output.is_dir():
            raise UserError(f"output {self.output} exists and is a file; choose another --output")
        if self.output.is_dir() and any(self.output.iterdir()) and not self.overwrite:
            raise UserError(
                f"output folder {self.output} exists and is not empty; choose another "
                "--output or pass --overwrite"
            )

    def begin(self) -> Path:
        self.check()
        if self.partial.exists():  # left by a run that died: never resumed from here
            shutil.rmtree(self.partial)
        self.partial.mkdir(parents=True)
        return self.partial

    def commit(self) -> Path:
        old = self.output.with_name(self.output.name + f".old{os.getpid()}")
        if self.output.exists():
            self.output.rename(old)
        self.partial.rename(self.output)
        shutil.rmtree(old, ignore_errors=True)
        return self.output

    def abort(self) -> None:
        shutil.rmtree(self.partial, ignore_errors=True)


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
