"""`day3 report` from a shell: the verb exists, its flags come from ReportConfig, and a mistake
is one line and exit 2."""

from __future__ import annotations

from day3.cli.main import build_parser, main
from day3.report.config import ReportConfig


def test_the_verb_takes_its_flags_from_the_config():
    args = build_parser().parse_args(["report", "runs/", "--output", "x", "--smoke"])
    assert args.verb_spec.config is ReportConfig, "register Verb('report', ..., ReportConfig, ...)"
    assert (str(args.runs), str(args.output), args.smoke) == ("runs", "x", True)


def test_a_missing_runs_folder_is_one_line_and_exit_2(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["report", "no-runs"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: runs folder no-runs does not exist; run a lesson")
    assert not (tmp_path / "Slides").exists()
