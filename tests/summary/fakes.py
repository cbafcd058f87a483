"""Hand-written run folders, as the kit's writers leave them: a marker and the kind's files."""

from __future__ import annotations

import json
from pathlib import Path

from day3.core.runs import MARKER
from day3.summary.collect import SummaryConfig, run_summary
from day3.summary.render import markdown


def summary(runs: Path) -> tuple[dict, str]:
    """The facts and the Markdown of `day3 summary RUNS`."""
    facts = run_summary(SummaryConfig(runs))
    return facts, markdown(facts)


def output(folder: Path, kind: str, files: dict, written: str = "2026-12-01T10:00:00+0000"):
    """A run folder of `kind`: its marker, then `files` (name -> JSON object, or text)."""
    folder.mkdir(parents=True)
    marker = {"kind": kind, "state": "complete", "day3": "0.1.0", "written": written}
    (folder / MARKER).write_text(json.dumps(marker))
    for name, content in files.items():
        text = content if isinstance(content, str) else json.dumps(content)
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def metrics(accuracy: float, **extra) -> dict:
    """metrics.json of a classifier run (day3.classifier.save), the fields the summary reads."""
    return {
        "model": "minilm",
        "strategy": "lora:16",
        "data": "embedded movie-review sample",
        "n_train": 400,
        "n_validation": 80,
        "validation": {"accuracy": accuracy, "f1": 0.8, "n": 80},
        "baseline": {"accuracy": 0.5, "f1": 0.3333, "n": 80},
        "train_seconds": 12.34,
        "trainable_params": 5218,
        "total_params": 22718204,
        "trainable_percent": 0.52,
        **extra,
    }


CHECK = {
    "score": 7,
    "max_score": 10,
    "tasks": [
        {"name": "count_trainable", "points": 3, "max_points": 3, "passed": True, "hint": None},
        {
            "name": "pick_strategy",
            "points": 0,
            "max_points": 4,
            "passed": False,
            "hint": "returns 'full' for a tiny budget; see Session 3",
        },
    ],
}
