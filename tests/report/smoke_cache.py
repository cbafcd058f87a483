"""One `day3 report --smoke` per test session, shared by tests/report and tests/docs: it trains
every input tiny (under a minute on 2 cores), so it runs once, in-process, and is kept.

While editing the decks, `DAY3_TEST_SMOKE_REPORT=FOLDER` reuses a smoke report already made
(`day3 report --smoke --output FOLDER`) instead of making one: seconds instead of a minute. The
default run always makes its own, once: under `pytest -n N` the workers share one, made by the
first worker that asks while the others wait on a file lock (pytest-xdist's documented way to
share a session fixture)."""

from __future__ import annotations

import json
import os
from pathlib import Path

_CACHE: dict[str, dict] = {}


def smoke_report(root: Path) -> dict:
    """The manifest of a smoke report written under `root` (the first caller's folder)."""
    if "manifest" not in _CACHE:
        reuse = os.environ.get("DAY3_TEST_SMOKE_REPORT")
        if reuse:
            manifest = json.loads((Path(reuse) / "manifest.json").read_text(encoding="utf-8"))
            _CACHE["manifest"] = {**manifest, "output": reuse}
        else:
            from filelock import FileLock

            output = Path(root) / "generated"
            with FileLock(str(output) + ".lock"):
                made = output / "manifest.json"
                if made.is_file():  # another worker made it
                    manifest = json.loads(made.read_text(encoding="utf-8"))
                    _CACHE["manifest"] = {**manifest, "output": str(output)}
                else:  # in a process of its own: its trainings leave no state in this one
                    import subprocess
                    import sys

                    argv = [sys.executable, "-m", "day3.cli", "report", "--smoke"]
                    subprocess.run([*argv, "--output", str(output)], check=True,
                                   capture_output=True)  # fmt: skip
                    manifest = json.loads(made.read_text(encoding="utf-8"))
                    _CACHE["manifest"] = {**manifest, "output": str(output)}
    return _CACHE["manifest"]


def shared_root(tmp_path_factory) -> Path:
    """A folder every xdist worker of this session sees (the parent of the workers' own)."""
    base = tmp_path_factory.getbasetemp()
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "smoke-report"
    root.mkdir(exist_ok=True)
    return root
