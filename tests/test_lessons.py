"""Every lesson runs end to end with --smoke (tiny model, seconds), as a learner would run it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted(p for p in ROOT.glob("[0-9]_*/*.py") if "--smoke" in p.read_text())


def test_every_lesson_has_a_run_command_docstring():
    for path in ROOT.glob("[0-9]_*/*.py"):
        head = path.read_text().lstrip()
        assert head.startswith('"""') and "python " in head.split('"""')[1], path


@pytest.mark.slow
@pytest.mark.parametrize("lesson", LESSONS, ids=[str(p.relative_to(ROOT)) for p in LESSONS])
def test_lesson_smoke(lesson, tmp_path):
    env = {**os.environ, "DAY3_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
    env.pop("DAY3_DATA_DIR", None)
    result = subprocess.run(
        [sys.executable, str(lesson), "--smoke", "--output", str(tmp_path / "out")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
