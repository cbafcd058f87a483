"""What the final exercise's tests share: the worksheet, the reference solution, learner files
made from it with some functions replaced, and the memory estimator's stand-in (only while the
real `day3.estimate.memory` does not exist)."""

from __future__ import annotations

import importlib.util
import sys
import textwrap
import types
from pathlib import Path

import pytest

from day3.exercise.check import CheckConfig, run_check
from day3.exercise.tasks import TASKS
from tests.conftest import ROOT
from tests.exercise import fake_estimate

WORKSHEET = ROOT / "4_WrapUpAndDemo" / "final_exercise.py"
SOLUTION = ROOT / "instructor" / "final_exercise_solution.py"
NAMES = [t.name for t in TASKS]
ESTIMATOR_MISSING = "day3.estimate is not in this kit yet"


def load_module(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def variant(folder: Path, name: str, body: str) -> Path:
    """A learner file holding the reference solution's functions, then `body` (which replaces
    some of them): a learner who got everything right but what `body` says."""
    head = (
        "import importlib.util as _u\n"
        f"_s = _u.spec_from_file_location('reference_solution', {str(SOLUTION)!r})\n"
        "_r = _u.module_from_spec(_s)\n"
        "_s.loader.exec_module(_r)\n"
        "PREFERENCE = _r.PREFERENCE\n"
    )
    head += "".join(f"{n} = _r.{n}\n" for n in NAMES)
    path = folder / f"{name}.py"
    path.write_text(head + textwrap.dedent(body), encoding="utf-8")
    return path


def grade(path: Path, **kwargs) -> dict:
    kwargs.setdefault("seed", 1234)
    return run_check(CheckConfig(file=path, **kwargs))


def by_task(summary: dict) -> dict[str, dict]:
    return {i["task"]: i for i in summary["tasks"]} | {"end_to_end": summary["end_to_end"]}


def assert_the_score_adds_up(summary: dict) -> None:
    items = [*summary["tasks"], summary["end_to_end"]]
    assert summary["score"] == sum(i["points"] for i in items if i["status"] == "pass")
    assert summary["max_score"] == sum(i["points"] for i in items if i["status"] != "skip")
    assert [i["task"] for i in summary["tasks"]] == NAMES


@pytest.fixture
def stand_in(monkeypatch):
    """The stand-in estimator in this process, even where the real one exists: tests of the
    grading itself, on numbers they know."""
    package = types.ModuleType("day3.estimate")
    package.__path__ = []
    package.memory = fake_estimate
    monkeypatch.setitem(sys.modules, "day3.estimate", package)
    monkeypatch.setitem(sys.modules, "day3.estimate.memory", fake_estimate)
    return fake_estimate
