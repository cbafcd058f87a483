"""How long each lesson takes here: a lesson run as a learner runs it, timed, and kept.

`day3 report RUNS --time LESSON` runs `python LESSON` (its default command, on this Python) from
the folder above RUNS, so its outputs land in RUNS as usual, and keeps the wall time, the
machine and the lesson's own output in `RUNS/lesson-times/<lesson>/` (a day3 output: a rerun
replaces it). The slides quote these times; a lesson never timed says so instead.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from day3.core.errors import UserError
from day3.core.runs import RunFolder, read_json_object, write_json, writing
from day3.core.ui import say

KIND = "lesson-timing"
FOLDER = "lesson-times"

# Every lesson of the four sessions, in course order: each gets a `numbers/time/<stem>.txt`.
LESSONS = (
    "1_HuggingFace/huggingface_overview.py",
    "1_HuggingFace/hello_world_demo.py",
    "1_HuggingFace/datasets_library.py",
    "1_HuggingFace/model_inference.py",
    "1_HuggingFace/huggingface_upload.py",
    "2_TrainingLLMs/llm_training_overview.py",
    "2_TrainingLLMs/training_optimizations.py",
    "2_TrainingLLMs/flan_t5_finetuning.py",
    "3_FineTuning/distilbert_finetuning.py",
    "3_FineTuning/finetune_strategies_overview.py",
    "4_WrapUpAndDemo/journey_demo.py",
    "4_WrapUpAndDemo/course_summary.py",
    "4_WrapUpAndDemo/final_exercise.py",
)


def stem(lesson: str | Path) -> str:
    return Path(lesson).stem


def cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def record(lesson: str, command: str, seconds: float, exit_code: int = 0) -> dict:
    """A timing record: what ran, how long, on what."""
    return {
        "lesson": lesson,
        "command": command,
        "seconds": round(seconds, 1),
        "exit_code": exit_code,
        "cpus": cpus(),
        "platform": platform.platform(),
        "date": time.strftime("%Y-%m-%d"),
    }


def save_record(runs: Path, rec: dict, logs: dict[str, str] | None = None) -> Path:
    """RUNS/lesson-times/<stem>/timing.json (+ the lesson's stdout and stderr)."""
    out = Path(runs) / FOLDER / stem(rec["lesson"])
    folder = RunFolder(out, kind=KIND, replace_own=True)
    with writing(folder) as path:
        write_json(path / "timing.json", rec)
        for name, text in (logs or {}).items():
            (path / name).write_text(text, encoding="utf-8")
    return out


def time_lesson(lesson: str | Path, runs: Path) -> dict:
    """Run `python LESSON` with its defaults, as a learner would, and keep its wall time."""
    runs = Path(runs).resolve()
    if runs.name != "runs":
        raise UserError(
            f"--time runs each lesson into its default folder under ./runs, not {runs}; "
            "run day3 report --time from the course folder, with RUNS = runs"
        )
    course = runs.parent
    path = Path(lesson).resolve()
    try:
        shown = str(path.relative_to(course))
    except ValueError:
        raise UserError(
            f"--time {lesson}: the lesson is not in the course folder {course}; pass a lesson "
            "of this checkout, e.g. 3_FineTuning/distilbert_finetuning.py"
        ) from None
    RunFolder(runs / FOLDER / path.stem, kind=KIND, replace_own=True).check()
    command = f"python {shown}"
    say(f"timing `{command}` (its default command)")
    seconds, code, out, err = _run_echoing([sys.executable, str(path)], course)
    if code != 0:
        last = (err.strip().splitlines() or ["(no message)"])[-1]
        raise UserError(
            f"{shown} failed (exit {code}) after {seconds:.0f} s: {last}; nothing was "
            "recorded: fix that and run --time again"
        )
    rec = record(shown, command, seconds)
    save_record(runs, rec, {"stdout.txt": out, "stderr.txt": err})
    say(f"{shown}: {seconds:.1f} s on {rec['cpus']} CPU cores")
    return rec


def _run_echoing(argv: list[str], cwd: Path) -> tuple[float, int, str, str]:
    """Run `argv`; its messages (stderr) pass through as they come, its results (stdout) are
    kept. (wall seconds, exit code, stdout, stderr)."""
    import tempfile

    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with tempfile.TemporaryFile("w+", encoding="utf-8") as stdout:
        start = time.perf_counter()
        proc = subprocess.Popen(
            argv, cwd=cwd, env=env, stdout=stdout, stderr=subprocess.PIPE, text=True
        )
        lines = []
        try:
            for line in proc.stderr:
                sys.stderr.write(line)
                lines.append(line)
            code = proc.wait()
        except BaseException:  # Ctrl-C: the lesson stops too, and nothing is recorded
            proc.kill()
            proc.wait()
            raise
        seconds = time.perf_counter() - start
        stdout.seek(0)
        return seconds, code, stdout.read(), "".join(lines)


def read_records(folders: list[Path]) -> dict[str, dict]:
    """stem -> timing record, from the lesson-timing outputs found (the newest wins)."""
    found: dict[str, dict] = {}
    for folder in folders:
        rec = read_json_object(folder / "timing.json")
        if not rec:
            continue
        key = stem(rec.get("lesson", folder.name))
        if key not in found or rec.get("date", "") >= found[key].get("date", ""):
            found[key] = rec
    return found


def duration(seconds: float) -> str:
    """41 s, 3 min 20 s, 1 h 05 min: what a person reads."""
    s = round(seconds)
    if s < 90:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"
