"""`day3 check` end to end, through its worker processes: the untouched worksheet fails every
task with its hint; the reference solution passes every task and the end-to-end run; nothing a
learner's file does (a syntax error, an import error, an exception, an endless loop, os._exit,
a wrong type) stops the grading of the other tasks; the JSON summary's score is the sum of the
points of what passed; a bad FILE is one line, exit 2. (That hard-coded answers fail is tested
in test_cases.py, on the same cases and graders, in this process.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from day3.core.errors import UserError
from day3.core.flags import Parser, add_flags, build
from day3.core.runs import MARKER, read_marker
from day3.exercise.check import DEFAULT_FILE, DEFAULT_OUTPUT, CheckConfig
from day3.exercise.tasks import BY_NAME
from tests.conftest import ROOT
from tests.exercise import fake_estimate
from tests.exercise.conftest import (
    ESTIMATOR_MISSING,
    NAMES,
    SOLUTION,
    WORKSHEET,
    assert_the_score_adds_up,
    by_task,
    grade,
    variant,
)


@pytest.fixture(scope="module", autouse=True)
def results_in_a_scratch_folder(tmp_path_factory):
    """A grading saves check.json under the current folder (runs/final-exercise): these tests'
    go to a scratch folder, never into the checkout's runs/."""
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp_path_factory.mktemp("cwd"))
        yield


def stand_in_for_workers(mp: pytest.MonkeyPatch, folder, force: bool = False) -> bool:
    """The stand-in estimator in every grading worker (a sitecustomize on PYTHONPATH) while
    the real one does not import, or always with `force`; True when it stands in."""
    folder.mkdir(exist_ok=True)
    (folder / "sitecustomize.py").write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT)!r})\n"
        f"from tests.exercise import fake_estimate\nfake_estimate.install(force={force})\n",
        encoding="utf-8",
    )
    mp.setenv("PYTHONPATH", str(folder))
    return force or not fake_estimate.real_estimator_imports()


def memory_graded(item: dict) -> bool:
    """pick_strategy is graded (pass or fail), or skipped only with a reason."""
    return item["status"] != "skip" or item["hint"].startswith("skipped:")


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        stand_in = stand_in_for_workers(mp, tmp_path_factory.mktemp("site"))
        return grade(SOLUTION), stand_in


@pytest.mark.slow
def test_the_reference_solution_passes_every_task_and_the_end_to_end_run(reference):
    summary, stand_in = reference
    tasks = by_task(summary)
    for name in NAMES:
        if name == "pick_strategy" and not stand_in:  # the real estimator: graded or skipped
            assert tasks[name]["status"] == "pass" or memory_graded(tasks[name]), tasks[name]
            continue
        assert tasks[name]["status"] == "pass", tasks[name]
    e2e = tasks["end_to_end"]
    assert e2e["status"] == "pass", e2e
    assert [s["ok"] for s in e2e["steps"]] == [True] * 6, e2e["steps"]
    assert (
        summary["score"]
        == summary["max_score"]
        == 100 - (15 * (tasks["pick_strategy"]["status"] == "skip"))
    )
    assert_the_score_adds_up(summary)


@pytest.mark.slow
def test_the_untouched_worksheet_fails_every_task_with_its_hint(tmp_path):
    """As the learner meets it: `python 4_WrapUpAndDemo/final_exercise.py --json`."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    argv = [sys.executable, str(WORKSHEET.relative_to(ROOT)), "--json", "--seed", "5"]
    argv += ["--output", str(tmp_path / "check")]
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads(done.stdout)  # stdout holds the summary and nothing else
    assert summary["file"] == "4_WrapUpAndDemo/final_exercise.py" and summary["seed"] == 5
    for name, item in by_task(summary).items():
        if name == "end_to_end":
            assert item["status"] == "fail" and "runs once every task passes" in item["hint"]
        elif name == "pick_strategy" and item["status"] == "skip":
            assert ESTIMATOR_MISSING in item["hint"]
        else:
            assert item["status"] == "fail", item
            assert item["hint"].startswith("not done yet") and BY_NAME[name].how in item["hint"]
    assert summary["score"] == 0
    assert_the_score_adds_up(summary)
    assert "Traceback" not in done.stderr and "score 0/" in done.stderr
    assert "day3 check 4_WrapUpAndDemo/final_exercise.py --seed 5" in done.stderr
    assert json.loads((tmp_path / "check" / "check.json").read_text()) == summary
    assert f"score 0/{summary['max_score']} saved in {tmp_path / 'check'}" in done.stderr


BROKEN = """
import os
def mask_padding_labels(labels, pad_token_id):
    return "many"
def pick_strategy(*args):
    os._exit(3)  # the grader's process dies with it
def count_trainable(model):
    while True:
        pass
def lora_targets(model):
    raise NotImplementedError("TODO")
def compute_metrics(eval_pred):
    return 1 / 0
"""


@pytest.mark.slow
def test_a_crash_a_wrong_type_an_endless_loop_and_an_exception_cost_their_task_only(tmp_path):
    path = variant(tmp_path, "broken", BROKEN)  # measure_forgetting: the reference's
    with pytest.MonkeyPatch.context() as mp:
        stand_in_for_workers(mp, tmp_path / "site", force=True)  # the cheap estimator
        summary = grade(path, timeout=3)
    tasks = by_task(summary)
    assert "returned the string 'many'" in tasks["mask_padding_labels"]["hint"]
    assert tasks["measure_forgetting"]["status"] == "pass"  # graded after a failed task
    assert "ended the grader's process (exit code 3" in tasks["pick_strategy"]["hint"]
    assert "did not return within 3 s" in tasks["count_trainable"]["hint"]  # a fresh worker
    assert tasks["lora_targets"]["hint"].startswith("not done yet")  # and a third one
    hint = tasks["compute_metrics"]["hint"]
    line = path.read_text().splitlines().index("    return 1 / 0") + 1
    assert "raised ZeroDivisionError: division by zero" in hint
    assert f"line {line} in compute_metrics" in hint
    assert tasks["end_to_end"]["status"] == "fail"
    assert_the_score_adds_up(summary)


def test_a_syntax_error_fails_every_task_with_its_line_and_prints_json(tmp_path, capsys):
    path = tmp_path / "mine.py"
    path.write_text("def mask_padding_labels(labels, pad_token_id):\n    return [\n\ndef x(:\n")
    summary = grade(path, json=True)
    out, err = capsys.readouterr()
    assert json.loads(out) == summary and out.count("\n") == 1  # one JSON object on stdout
    for item in summary["tasks"]:
        assert item["status"] == "fail" and "does not load: SyntaxError at line" in item["hint"]
    assert summary["end_to_end"]["status"] == "fail" and summary["score"] == 0
    assert_the_score_adds_up(summary)
    assert "mask_padding_labels: mine.py does not load" in err


@pytest.mark.slow
def test_a_file_whose_top_level_fails_fails_every_task_with_the_reason(tmp_path):
    path = tmp_path / "mine.py"
    path.write_text("import numpy\nimport not_a_module_anywhere\n")
    summary = grade(path)
    for item in summary["tasks"]:
        assert item["status"] == "fail"
        assert (
            "does not load: ModuleNotFoundError: No module named 'not_a_module_anywhere'"
            in item["hint"]
        )
        assert "(line 2 in <module>" in item["hint"]
    assert_the_score_adds_up(summary)


@pytest.mark.slow
def test_an_end_to_end_run_without_a_live_worker_starts_one(tmp_path):
    from day3.exercise.runner import run_end_to_end

    path = tmp_path / "mine.py"
    path.write_text("raise RuntimeError('not today')\n")
    report, worker = run_end_to_end(None, path, 1, timeout=30)
    worker.stop()
    assert report["problem"].startswith("the end-to-end run could not start: mine.py does not")
    assert "RuntimeError: not today (line 1 in <module>" in report["problem"]


def test_the_result_is_saved_and_a_recheck_replaces_only_its_own(tmp_path, capsys):
    path = tmp_path / "mine.py"
    path.write_text("def mask_padding_labels(:\n")  # graded at once: no worker starts
    assert CheckConfig(file=path).output == DEFAULT_OUTPUT == Path("runs/final-exercise")
    out = tmp_path / "final-exercise"
    first = grade(path, output=out, seed=1)
    assert read_marker(out)["kind"] == "exercise-check"
    assert json.loads((out / "check.json").read_text()) == first
    assert (first["score"], first["max_score"]) == (0, 100) and len(first["tasks"]) == 6
    again = grade(path, output=out, seed=2)  # the check's own result: replaced, no flag
    assert json.loads((out / "check.json").read_text())["seed"] == again["seed"] == 2
    assert sorted(p.name for p in out.iterdir()) == ["check.json", MARKER]
    capsys.readouterr()
    mine = tmp_path / "mine-notes"
    mine.mkdir()
    (mine / "notes.txt").write_text("my notes")
    other = tmp_path / "a-run"
    other.mkdir()
    (other / MARKER).write_text(json.dumps({"kind": "classifier-run", "state": "complete"}))
    for folder in (mine, other):  # not written by the check: refused, before any grading
        with pytest.raises(UserError, match="exists and is not empty; choose another --output"):
            grade(path, output=folder)
        assert "grading" not in capsys.readouterr().err
    assert (mine / "notes.txt").read_text() == "my notes" and not (other / "check.json").exists()
    grade(path, output=other, overwrite=True)  # unless asked
    assert read_marker(other)["kind"] == "exercise-check"
    assert not list(tmp_path.glob("*.partial"))


def test_a_missing_function_is_named_and_untouched_tasks_answer_at_once(tmp_path, monkeypatch):
    """Also: a learner's torch.py in the current folder shadows nothing for the grader."""
    import ast

    source = WORKSHEET.read_text()
    gone = next(n for n in ast.parse(source).body if getattr(n, "name", "") == "compute_metrics")
    lines = source.splitlines(keepends=True)
    (tmp_path / "mine").mkdir()
    path = tmp_path / "mine" / "partial.py"
    path.write_text("".join(lines[: gone.lineno - 1] + lines[gone.end_lineno :]))
    (tmp_path / "torch.py").write_text("raise ImportError('a learner file named torch.py')\n")
    monkeypatch.chdir(tmp_path)
    summary = grade(path, end_to_end=False)
    tasks = by_task(summary)
    assert tasks["compute_metrics"]["status"] == "fail"
    assert "has no function compute_metrics" in tasks["compute_metrics"]["hint"]
    for name in NAMES[:-1]:
        assert tasks[name]["hint"].startswith(("not done yet", "skipped:")), tasks[name]
        assert tasks[name]["seconds"] is None  # no case built for a stub
    assert tasks["end_to_end"]["status"] == "skip"  # --no-end-to-end: not counted
    assert_the_score_adds_up(summary)


@pytest.mark.parametrize(
    ("file", "said"),
    [
        ("nothere.py", "nothere.py does not exist; pass the path of your exercise file"),
        ("notes.txt", "notes.txt is not a Python file (.py); pass the exercise file"),
        ("folder.py", "folder.py is a folder; pass the exercise's .py file"),
    ],
)
def test_a_bad_file_is_one_line_before_any_work(tmp_path, monkeypatch, file, said):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "folder.py").mkdir()
    with pytest.raises(UserError) as e:
        CheckConfig(file=file)
    assert str(e.value).startswith(said) and "\n" not in str(e.value)


@pytest.mark.parametrize(
    ("flags", "said"),
    [
        (["--timeout", "0"], "--timeout must be positive (got 0.0)"),
        (["--timeout", "inf"], "--timeout must be a finite number (got inf)"),
        (["--timeout", "nan"], "--timeout must be a finite number (got nan)"),
        (["--seed", "-1"], "--seed must be a whole number from 0 to 4294967295"),
    ],
)
def test_bad_numbers_are_refused_by_the_configs_checks(flags, said):
    parser = add_flags(Parser(prog="day3 check"), CheckConfig)
    with pytest.raises(UserError, match=said.replace("(", r"\(").replace(")", r"\)")):
        build(CheckConfig, parser.parse_args([str(SOLUTION), *flags]))


def test_the_flags_come_from_the_config(monkeypatch):
    parser = add_flags(Parser(prog="day3 check"), CheckConfig)
    monkeypatch.chdir(ROOT)
    default = build(CheckConfig, parser.parse_args([]))
    assert default.file == DEFAULT_FILE and default.timeout == 60 and default.seed is None
    assert default.end_to_end and not default.json
    args = parser.parse_args([str(SOLUTION), "--json", "--timeout", "5", "--seed", "9"])
    given = build(CheckConfig, args, end_to_end=False)
    assert (given.file, given.json, given.timeout, given.seed) == (SOLUTION, True, 5.0, 9)
    assert not build(CheckConfig, parser.parse_args(["--no-end-to-end"])).end_to_end


def test_the_worksheet_and_the_solution_hold_the_same_tasks():
    import ast
    import inspect

    from tests.exercise.conftest import load_module

    trees = [ast.parse(p.read_text()) for p in (WORKSHEET, SOLUTION)]
    defs = [[n.name for n in t.body if isinstance(n, ast.FunctionDef)] for t in trees]
    assert defs == [NAMES, NAMES]  # the tasks, in the grader's (the course's) order
    sheet, solution = load_module(WORKSHEET, "sheet"), load_module(SOLUTION, "solution")
    assert (
        sheet.PREFERENCE
        == solution.PREFERENCE
        == BY_NAME["pick_strategy"].grade.__globals__["PREFERENCE"]
    )
    for name in NAMES:
        assert inspect.signature(getattr(sheet, name)) == inspect.signature(getattr(solution, name))
        assert getattr(sheet, name).__doc__ == getattr(solution, name).__doc__
        assert "How:" in getattr(sheet, name).__doc__
        body = next(n for n in trees[0].body if getattr(n, "name", None) == name).body
        assert isinstance(body[-1], ast.Raise) and "TODO" in ast.unparse(body[-1]), name


def cli_has_check() -> bool:
    from day3.cli.main import VERBS

    return any(v.name == "check" for v in VERBS)


@pytest.mark.skipif(not cli_has_check(), reason="`day3 check` is not in day3.cli.main yet")
def test_day3_check_on_a_missing_file_is_one_line_exit_2(tmp_path):
    day3 = ROOT / ".venv" / "bin" / "day3"
    done = subprocess.run(
        [str(day3), "check", "nothere.py"], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 2 and done.stdout == ""
    assert (
        done.stderr.startswith("error: nothere.py does not exist; ")
        and done.stderr.count("\n") == 1
    )


def test_the_learners_folder_comes_last_on_the_workers_path(tmp_path, monkeypatch):
    """Their helper modules import; their `transformers.py` would not shadow the library for
    what the grader imports after loading their file."""
    from day3.exercise.worker import MODULE_NAME, load

    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setitem(sys.modules, MODULE_NAME, None)  # restored (removed) afterwards
    (tmp_path / "helper.py").write_text("X = 41\n")
    (tmp_path / "mine.py").write_text("from helper import X\nY = X + 1\n")
    assert load(tmp_path / "mine.py").Y == 42
    assert sys.path[-1] == str(tmp_path) and str(tmp_path) not in sys.path[:-1]
