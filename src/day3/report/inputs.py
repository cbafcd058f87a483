"""The kit's outputs under a runs folder, found by their marker (day3.core.runs.read_marker).

Each section of the report wants one output of a kind: the lesson's default folder when it
holds that kind (`runs/sentiment` for the sentiment lesson), else another folder it names
(`runs/demo`, what `make demo` writes), else the newest output of that kind that fits.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from day3.core.runs import read_json_object, read_marker

SKIP = {"hf_cache", "checkpoints", "adapter", "node_modules", ".git"}


@dataclass(frozen=True)
class Output:
    path: Path
    kind: str  # the marker's kind: classifier-run, comparison, forgetting-report, ...
    written: str  # when (the marker's timestamp)

    def json(self, name: str) -> dict:
        """One of the output's JSON files, {} when absent or unreadable."""
        return read_json_object(self.path / name)


@dataclass
class Inputs:
    runs: Path
    outputs: list[Output]

    def of_kind(self, kind: str) -> list[Output]:
        return [o for o in self.outputs if o.kind == kind]

    def pick(
        self,
        kind: str,
        prefer: tuple[str, ...] = (),
        fits: Callable[[Output], bool] | None = None,
        fallback: bool = True,
    ) -> Output | None:
        """The output at the first of `prefer` (paths relative to the runs folder) that is of
        `kind` and fits; else, when `fallback`, the newest output of `kind` that fits."""
        fits = fits or (lambda o: True)
        by_path = {o.path.resolve(): o for o in self.of_kind(kind)}
        for rel in prefer:
            o = by_path.get((self.runs / rel).resolve())
            if o is not None and fits(o):
                return o
        if not fallback:
            return None
        candidates = [o for o in self.of_kind(kind) if fits(o)]
        return max(candidates, key=lambda o: o.written, default=None)

    def relative(self, output: Output) -> str:
        """How the slides name a folder: runs/sentiment, not an absolute path."""
        try:
            return str(
                Path(self.runs.name) / output.path.resolve().relative_to(self.runs.resolve())
            )
        except ValueError:
            return str(output.path)


def find_outputs(runs: Path, max_depth: int = 4) -> Inputs:
    """Every complete day3 output below `runs` (not inside another: outputs never nest)."""
    runs = Path(runs)
    found: list[Output] = []
    if runs.is_dir():
        base = len(runs.resolve().parts)
        for root, dirs, _ in os.walk(runs.resolve()):
            here = Path(root)
            marker = read_marker(here)
            if marker is not None and here != runs.resolve():
                dirs.clear()  # a model folder below: nothing more to find
                if marker.get("state") == "complete":
                    found.append(Output(here, marker["kind"], str(marker.get("written", ""))))
                continue
            depth = len(here.parts) - base
            dirs[:] = sorted(
                d
                for d in dirs
                if depth < max_depth and d not in SKIP and not d.endswith((".partial", ".tmp"))
            )
    return Inputs(runs, found)
