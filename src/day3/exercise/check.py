"""`day3 check [FILE]`: grade the final exercise (4_WrapUpAndDemo/final_exercise.py).

Each task's function runs on hidden cases drawn now, from a seed nobody can predict
(os.urandom) and that the report gives, so `--seed N` rebuilds the very cases of a failure.
Each task earns its points or gets a hint (`what is wrong; how to fix it`); once every task
passes, an end-to-end run uses them together on tiny models. The table goes to stderr; with
`--json` the summary goes to stdout as one object, whose score is the sum of the points of
what passed. The result is also saved as a day3 output, `check.json` in runs/final-exercise
(`--output`), which `day3 summary` reads: a re-check replaces the check's own previous result,
never a folder the check did not write (unless `--overwrite`).
"""

from __future__ import annotations

import json
import os
import shlex
from dataclasses import dataclass
from pathlib import Path

from day3.core import checks
from day3.core.errors import UserError
from day3.core.flags import option
from day3.core.runs import RunFolder, read_marker, write_json, writing
from day3.exercise.tasks import END_TO_END, TASKS, Task, grade_outcome

DEFAULT_FILE = Path("4_WrapUpAndDemo") / "final_exercise.py"
DEFAULT_OUTPUT = Path("runs") / "final-exercise"
KIND = "exercise-check"  # the marker's kind: what `day3 summary` looks for


@dataclass
class CheckConfig:
    """`day3 check`: grade the final exercise on hidden cases, then run it end to end."""

    file: Path = option(DEFAULT_FILE, positional=True, nargs="?", help="the exercise file to grade")
    json: bool = option(False, help="print the summary as one JSON object on stdout")
    timeout: float = option(60.0, help="seconds each task may run before it counts as stuck")
    seed: int | None = option(
        None, help="seed of the hidden cases (default: a new one each time; the report gives it)"
    )
    end_to_end: bool = option(
        True, flag="--no-end-to-end", help="grade the tasks only, without the end-to-end run"
    )
    output: Path = option(
        DEFAULT_OUTPUT, help="the folder for the result, check.json (a re-check replaces it)"
    )
    overwrite: bool = option(False, help="replace an --output the check did not write")

    def __post_init__(self) -> None:
        self.file = Path(self.file)
        self.output = Path(self.output).expanduser()
        checks.positive("timeout", self.timeout)
        if self.seed is not None:
            checks.seed("seed", self.seed)
        example = f"e.g. day3 check {DEFAULT_FILE}"
        if not self.file.exists():
            raise UserError(
                f"{self.file} does not exist; pass the path of your exercise file ({example}), "
                "or run day3 check from the course folder"
            )
        if self.file.is_dir():
            raise UserError(f"{self.file} is a folder; pass the exercise's .py file ({example})")
        if self.file.suffix != ".py":
            raise UserError(
                f"{self.file} is not a Python file (.py); pass the exercise file ({example})"
            )


def run_check(config: CheckConfig) -> dict:
    """Grade `config.file`; the table on stderr, the summary returned (and printed as JSON on
    stdout with `config.json`)."""
    from day3.core.ui import out, say

    folder = result_folder(config)
    folder.check()  # a refused --output fails now, not after minutes of grading
    seed = config.seed if config.seed is not None else int.from_bytes(os.urandom(4), "big")
    then = ", then the end-to-end run" if config.end_to_end else ""
    say(
        f"grading {shown_path(config.file)}: {len(TASKS)} tasks on hidden cases (seed {seed}){then}"
    )
    items, end_to_end = grade_file(config.file, seed, config.timeout, config.end_to_end)
    summary = summarize(config.file, seed, items, end_to_end)
    with writing(folder) as path:
        write_json(path / "check.json", summary)
    show(summary)
    say(
        f"score {summary['score']}/{summary['max_score']} saved in "
        f"{folder.output / 'check.json'} (`day3 summary` shows it)"
    )
    if config.json:
        out(json.dumps(summary))
    return summary


def result_folder(config: CheckConfig) -> RunFolder:
    """Where check.json goes: a re-check replaces the check's own earlier result (its marker
    says exercise-check), and nothing else without --overwrite; the graded file is an input."""
    marker = read_marker(config.output)
    own = marker is not None and marker["kind"] == KIND
    return RunFolder(config.output, config.overwrite, KIND, (config.file,), replace_own=own)


def syntax_problem(path: Path) -> str | None:
    """The hint for a file Python cannot even compile (found here, without running it)."""
    try:
        source = path.read_bytes()
    except OSError as e:
        raise UserError(f"{path} cannot be read ({e.strerror}); check its permissions") from None
    try:
        compile(source, str(path), "exec", dont_inherit=True)
    except SyntaxError as e:
        return (
            f"{path.name} does not load: {type(e).__name__} at line {e.lineno}: {e.msg}; fix "
            "that line, then run day3 check again"
        )
    except ValueError as e:  # null bytes
        return f"{path.name} does not load ({e}); re-save it as plain text"
    return None


def item(task: Task, status: str, hint: str | None, seconds: float | None = None) -> dict:
    return {
        "task": task.name,
        "title": task.title,
        "points": task.points,
        "earned": task.points if status == "pass" else 0,
        "status": status,
        "passed": status == "pass",
        "hint": hint,
        "seconds": seconds,
    }


def grade_file(path: Path, seed: int, timeout: float, end_to_end: bool) -> tuple[list, dict]:
    """(an item per task, the end-to-end item)."""
    from day3.exercise.runner import run_end_to_end, run_tasks

    names = [t.name for t in TASKS]
    problem = syntax_problem(path)
    if problem:
        raw, worker = {n: {"problem": problem} for n in names}, None
    else:
        raw, worker = run_tasks(path.resolve(), names, seed, timeout)
    try:
        items = [item(t, *grade_outcome(t, raw[t.name]), raw[t.name].get("seconds")) for t in TASKS]
        failed = [i["task"] for i in items if i["status"] == "fail"]
        if not end_to_end:
            e2e = item(
                END_TO_END,
                "skip",
                "skipped (--no-end-to-end, or --smoke): run without it for these points",
            )
        elif failed:
            e2e = item(
                END_TO_END, "fail", f"runs once every task passes (not yet: {', '.join(failed)})"
            )
        else:
            report, worker = run_end_to_end(worker, path.resolve(), seed, timeout)
            e2e = item(END_TO_END, *grade_outcome(END_TO_END, report), report.get("seconds"))
            e2e["steps"] = (report.get("cases") or [{}])[0].get("facts", {}).get("steps", [])
    finally:
        if worker is not None:
            worker.stop()
    return items, e2e


def shown_path(path: Path) -> str:
    """The file as the learner would type it: relative to the current folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def summarize(path: Path, seed: int, items: list[dict], end_to_end: dict) -> dict:
    everything = [*items, end_to_end]
    path = Path(shown_path(path))
    counts = {s: sum(i["status"] == s for i in everything) for s in ("pass", "fail", "skip")}
    return {
        "file": str(path),
        "seed": seed,
        "score": sum(i["earned"] for i in everything),
        "max_score": sum(i["points"] for i in everything if i["status"] != "skip"),
        "passed": counts["pass"],
        "failed": counts["fail"],
        "skipped": counts["skip"],
        "tasks": items,
        "end_to_end": end_to_end,
        "rerun": f"day3 check {shlex.quote(str(path))} --seed {seed}",
    }


RESULT = {"pass": "[green]pass[/]", "fail": "[red]FAIL[/]", "skip": "[yellow]skip[/]"}


def show(summary: dict) -> None:
    """The table, then one line per hint, then the score: on stderr."""
    from rich.markup import escape
    from rich.table import Table

    from day3.core.ui import console, print_table

    table = Table(title=f"final exercise: {escape(summary['file'])}")
    for name, justify in (("#", "right"), ("task", "left"), ("what", "left")):
        table.add_column(name, justify=justify)
    table.add_column("points", justify="right")
    table.add_column("result")
    rows = [*summary["tasks"], summary["end_to_end"]]
    for n, i in enumerate(rows, 1):
        number = str(n) if n <= len(summary["tasks"]) else ""
        points = f"{i['earned']}/{i['points']}" if i["status"] != "skip" else f"-/{i['points']}"
        table.add_row(number, i["task"], escape(i["title"]), points, RESULT[i["status"]])
    print_table(table)
    for i in rows:
        if i["hint"]:
            console.print(f"  {i['task']}: {i['hint']}", markup=False, highlight=False)
    score = f"score {summary['score']}/{summary['max_score']}"
    if summary["failed"] == 0 and summary["skipped"] == 0:
        console.print(f"[bold green]{score}: every task passes, end to end. Well done.[/]")
        return
    console.print(f"[bold]{score}[/]", highlight=False)
    console.print(f"the same hidden cases again: {summary['rerun']}", markup=False)
