"""`day3 report --time LESSON`: a lesson run as a learner runs it, its wall time kept in
runs/lesson-times/, and nothing kept when it fails."""

from __future__ import annotations

import json

import pytest

from day3.core.errors import UserError
from day3.report.config import ReportConfig
from day3.report.timing import duration, read_records, time_lesson


@pytest.fixture
def course(tmp_path):
    (tmp_path / "runs").mkdir()
    (tmp_path / "1_X").mkdir()
    ok = tmp_path / "1_X" / "quick.py"
    ok.write_text(
        "import sys, time\ntime.sleep(0.2)\nprint('result')\nprint('msg', file=sys.stderr)\n"
    )
    (tmp_path / "1_X" / "broken.py").write_text("raise SystemExit('it broke')\n")
    return tmp_path


def test_a_timed_lesson_keeps_its_time_and_output(course):
    rec = time_lesson(course / "1_X" / "quick.py", course / "runs")
    assert rec["command"] == "python 1_X/quick.py" and rec["exit_code"] == 0
    assert 0.2 <= rec["seconds"] < 30 and rec["cpus"] >= 1
    folder = course / "runs" / "lesson-times" / "quick"
    assert json.loads((folder / "timing.json").read_text()) == rec
    assert (folder / "stdout.txt").read_text() == "result\n"
    assert read_records([folder]) == {"quick": rec}
    again = time_lesson(course / "1_X" / "quick.py", course / "runs")  # a rerun replaces it
    assert read_records([folder])["quick"] == again


def test_a_failing_lesson_records_nothing(course):
    with pytest.raises(UserError, match=r"1_X/broken.py failed \(exit 1\).*it broke"):
        time_lesson(course / "1_X" / "broken.py", course / "runs")
    assert not (course / "runs" / "lesson-times" / "broken").exists()


def test_time_needs_the_course_runs_folder(course, tmp_path_factory):
    other = tmp_path_factory.mktemp("elsewhere")
    with pytest.raises(UserError, match="default folder under ./runs"):
        time_lesson(course / "1_X" / "quick.py", other)


@pytest.mark.parametrize(
    "seconds, text", [(0.4, "0 s"), (41.4, "41 s"), (89.4, "89 s"), (90, "1 min 30 s"), (200, "3 min 20 s"),
                      (3600 + 5 * 60, "1 h 05 min")],
)  # fmt: skip
def test_durations_read_as_a_person_says_them(seconds, text):
    assert duration(seconds) == text


@pytest.mark.parametrize(
    "settings, message",
    [
        (dict(smoke=True, time=("1_X/quick.py",)), "--time runs real lessons"),
        (dict(runs="no/such/runs"), "runs folder no/such/runs does not exist"),
        (dict(time=("README.md",)), "--time README.md: not a lesson file"),
    ],
)
def test_bad_settings_say_how_to_fix_them(settings, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs").mkdir()
    (tmp_path / "Slides").mkdir()
    (tmp_path / "README.md").write_text("x")
    with pytest.raises(UserError, match=message):
        ReportConfig(**settings)


def test_the_smoke_report_rewrites_no_document(tmp_path):
    assert ReportConfig(smoke=True).documents() == []
    assert ReportConfig(runs=tmp_path, output=tmp_path / "x").documents() == []
    with pytest.raises(UserError, match="--docs: no such file"):
        ReportConfig(runs=tmp_path, output=tmp_path / "y", docs=("nope.md",)).documents()


def test_the_default_output_needs_the_course_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs").mkdir()
    with pytest.raises(UserError, match="no Slides/ here: run day3 report from the course folder"):
        ReportConfig()
    assert str(ReportConfig(output=tmp_path / "x").output) == str(tmp_path / "x")
