"""One `day3 report --smoke` per test session, shared by tests/report and tests/docs: it trains
every input tiny (under a minute on 2 cores), so it runs once, in-process, and is kept.

While editing the decks, `DAY3_TEST_SMOKE_REPORT=FOLDER` reuses a smoke report already made
(`day3 report --smoke --output FOLDER`) instead of making one: seconds instead of a minute. The
default run always makes its own."""

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
            from day3.report.config import ReportConfig
            from day3.report.run import run_report

            config = ReportConfig(smoke=True, output=Path(root) / "generated")
            _CACHE["manifest"] = run_report(config)
    return _CACHE["manifest"]
