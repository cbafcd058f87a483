"""Every lesson, run as a learner runs it, twice in a row: first the `--smoke` command its own
docstring gives, typed into a fresh shell (a plain `python` first on PATH, no virtualenv
activated) at the root of a checkout; then as the Jupyter notebook jupytext makes of it, in a
kernel started beside it, with the same arguments from DAY3_LESSON_ARGS. Each run must end well
and leave what the lesson says it makes; the second must replace the first's output rather
than refuse it. What a learner reads must be
readable: no tracebacks, no raw log dicts, no carriage-return progress bars in a log file."""

from __future__ import annotations

import ast
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from day3.core.runs import MARKER, read_marker

ROOT = Path(__file__).resolve().parents[2]
LESSONS = sorted(p for p in ROOT.glob("[0-9]_*/*.py"))
IDS = [str(p.relative_to(ROOT)) for p in LESSONS]

# lesson -> (its default output folder, files it must hold, a line the learner must see)
PRODUCES = {
    "1_HuggingFace/datasets_library.py": (
        "runs/datasets_library",
        ["tokenized", "parquet"],
        "10. streaming=True",
    ),
    "1_HuggingFace/hello_world_demo.py": ("runs/hello", [MARKER, "model.safetensors"], "(0."),
    "1_HuggingFace/huggingface_overview.py": ("runs/overview", [MARKER, "overview.json"], ""),
    "1_HuggingFace/huggingface_upload.py": (
        "runs/upload",
        ["sentiment-run/metrics.json", "staged/README.md", "staged/model.safetensors"],
        "card parses back",
    ),
    "1_HuggingFace/model_inference.py": (
        "runs/inference",
        ["sentiment-run/model.safetensors", "throughput/throughput.md"],
        "largest difference to the pipeline",
    ),
    "2_TrainingLLMs/flan_t5_finetuning.py": (
        "runs/flan-t5-forgetting",
        [MARKER, "forgetting.json", "forgetting.png"],
        "average forgetting",
    ),
    "2_TrainingLLMs/llm_training_overview.py": (
        "runs/llm_training_overview",
        ["full/model.safetensors", "lora/adapter/adapter_config.json", "frozen/metrics.json"],
        "recommendation:",
    ),
    "2_TrainingLLMs/training_optimizations.py": (
        "runs/training_optimizations",
        [MARKER, "bench_training.json", "bench_training.png"],
        "two-jobs: each of two jobs at once",
    ),
    "4_WrapUpAndDemo/course_summary.py": (
        "runs/course_summary/summary",
        [MARKER, "summary.md", "summary.html", "summary.json"],
        "What to notice:",
    ),
    "4_WrapUpAndDemo/demo_app.py": (
        "runs/demo_app",
        [MARKER, "model.safetensors"],
        "same as the kit's predictor on that folder: yes",
    ),
    "4_WrapUpAndDemo/final_exercise.py": (
        "runs/final-exercise",
        [MARKER, "check.json"],
        "saved in runs/final-exercise/check.json",
    ),
    "4_WrapUpAndDemo/journey_demo.py": (
        "runs/journey",
        ["report/report.html", "run/model.safetensors", "upload/README.md"],
        "report:",
    ),
    "3_FineTuning/distilbert_finetuning.py": (
        "runs/sentiment",
        [MARKER, "model.safetensors", "README.md", "metrics.json"],
        "After fine-tuning:",
    ),
    "3_FineTuning/finetune_strategies_overview.py": (
        "runs/strategies",
        [MARKER, "comparison.md", "comparison.png"],
        "What to notice:",
    ),
}


def docstring_commands(lesson: Path) -> list[str]:
    """The shell commands a lesson's docstring tells the learner to type."""
    doc = ast.get_docstring(ast.parse(lesson.read_text())) or ""
    text = doc.replace("\\\n", " ")
    commands = []
    for line in text.splitlines():
        line = line.split("  #")[0].strip()
        if re.match(r"(?:[A-Z_][A-Z0-9_]*=\S+\s+)*python\s", line):
            shlex.split(line)  # a command a shell can read
            commands.append(line)
    return commands


def smoke_command(lesson: Path) -> str:
    smoke = [c for c in docstring_commands(lesson) if "--smoke" in c.split()]
    assert smoke, f"{lesson.name}: its docstring gives no `python ... --smoke` command"
    assert all(f"python {lesson.relative_to(ROOT)}" in c for c in smoke), smoke
    return smoke[0]


def test_every_lesson_is_covered_and_gives_its_commands():
    assert {str(p.relative_to(ROOT)) for p in LESSONS} == set(PRODUCES)
    for lesson in LESSONS:
        head = lesson.read_text().lstrip()
        assert head.startswith('"""'), lesson
        smoke_command(lesson)  # fails for a lesson without one: no silent skip


@pytest.fixture(scope="module")
def checkout(tmp_path_factory) -> Path:
    """A fresh checkout's layout: the lessons as files, src/ and .venv/ of this one."""
    root = tmp_path_factory.mktemp("checkout")
    for folder in {p.parent for p in LESSONS}:
        shutil.copytree(folder, root / folder.name, ignore=shutil.ignore_patterns("*.ipynb"))
    (root / "src").symlink_to(ROOT / "src")
    (root / ".venv").symlink_to(Path(sys.prefix))
    return root


def fresh_shell(tmp: Path) -> dict:
    """What a new terminal gives: `python` is a plain interpreter without the kit."""
    bin_dir = tmp / "bin"
    bin_dir.mkdir(exist_ok=True)
    if not (bin_dir / "python").exists():
        (bin_dir / "python").symlink_to(getattr(sys, "_base_executable", sys.executable))
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env.pop("DAY3_DATA_DIR", None)  # the product must not need the mirror
    env.pop("DAY3_LESSON_REEXEC", None)
    env.update(PATH=f"{bin_dir}:/usr/bin:/bin", DAY3_OFFLINE="1", PYTHONUNBUFFERED="1")
    return env


def assert_readable(err: str) -> None:
    assert "Traceback" not in err, err[-3000:]
    assert "\r" not in err  # a log file reads top to bottom: no bars redrawn in place
    assert "{'loss'" not in err and "'grad_norm'" not in err  # no raw Trainer log dicts
    assert "Loading weights" not in err and "Map:" not in err  # no library progress bars
    assert "FutureWarning" not in err and "DeprecationWarning" not in err


def run_script(command: str, checkout: Path, env: dict) -> str:
    result = subprocess.run(
        ["bash", "-c", command], cwd=checkout, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, f"as a script: {result.stderr[-3000:]}"
    assert_readable(result.stderr)
    return result.stdout + result.stderr


def run_as_notebook(lesson: Path, command: str, checkout: Path) -> str:
    """The lesson's notebook in a kernel started in its folder, the command's arguments given
    through DAY3_LESSON_ARGS; the kernel must have looked like the script to the lesson."""
    from day3.core.lesson import LESSON_ARGS
    from tests.lessons.notebook_runner import PROBE, notebook_args, outputs_text, run_notebook

    env, args = notebook_args(command)
    copy = checkout / lesson.relative_to(ROOT)
    nb = run_notebook(copy, copy.parent, {**env, LESSON_ARGS: shlex.join(args)})
    text = outputs_text(nb)
    assert all(c.execution_count for c in nb.cells if c.cell_type == "code")
    assert "Traceback" not in text, text[-3000:]
    probe = json.loads(text.split(PROBE, 1)[1].splitlines()[0])
    assert probe["argv"] == [str(copy.resolve()), *args], probe  # `python LESSON ARGS`
    assert probe["file"] == str(copy.resolve()) and Path(probe["cwd"]) == checkout.resolve()
    assert probe["smoke"] is True  # the lesson took its arguments from DAY3_LESSON_ARGS
    return text


@pytest.mark.slow
@pytest.mark.parametrize("lesson", LESSONS, ids=IDS)
def test_lesson_runs_as_its_docstring_says_then_as_a_notebook(lesson, checkout, tmp_path):
    name = str(lesson.relative_to(ROOT))
    folder, files, needle = PRODUCES[name]
    command = smoke_command(lesson)
    env = fresh_shell(tmp_path)
    shutil.rmtree(checkout / "runs", ignore_errors=True)
    stamps = []
    for attempt in ("as a script", "as a notebook"):
        if attempt == "as a script":
            said = run_script(command, checkout, env)
        else:
            said = run_as_notebook(lesson, command, checkout)
        assert needle in said, f"{attempt}: {said[-2000:]}"
        out = checkout / folder
        missing = [f for f in files if not (out / f).exists()]
        assert not missing, f"{attempt}: {missing} not in {sorted(os.listdir(out))}"
        marker = read_marker(out) or (files and read_marker(out / files[0].split("/")[0]))
        if marker:
            stamps.append(marker["written"])
    assert not list(checkout.rglob("*.partial"))
    if stamps:  # the second run wrote its output anew (the marker says when), over the first
        assert len(stamps) == 2 and stamps[0] != stamps[1], stamps


@pytest.mark.slow
def test_a_learners_own_folder_is_never_replaced_by_a_lesson(checkout, tmp_path):
    env = fresh_shell(tmp_path)
    mine = checkout / "runs" / "sentiment"
    shutil.rmtree(checkout / "runs", ignore_errors=True)
    mine.mkdir(parents=True)
    (mine / "notes.txt").write_text("my notes")  # the default folder, but not the kit's output
    result = subprocess.run(
        ["bash", "-c", "python 3_FineTuning/distilbert_finetuning.py --smoke"],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("error: output folder")
    assert sorted(os.listdir(mine)) == ["notes.txt"]


@pytest.mark.slow
def test_ctrl_c_in_a_lesson_says_interrupted_and_leaves_nothing(checkout, tmp_path):
    env = {**fresh_shell(tmp_path), "TMPDIR": str(tmp_path / "tmp")}
    (tmp_path / "tmp").mkdir()
    shutil.rmtree(checkout / "runs", ignore_errors=True)
    argv = [str(checkout / ".venv/bin/python"), "3_FineTuning/distilbert_finetuning.py"]
    argv += ["--smoke", "--epochs", "400", "--max-train-samples", "64"]  # ~1,600 steps
    proc = subprocess.Popen(
        argv, cwd=checkout, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 120
    seen = ""
    while "train full: step" not in seen and time.monotonic() < deadline:
        seen += proc.stderr.readline()
    assert "train full: step" in seen, seen
    proc.send_signal(signal.SIGINT)  # what Ctrl-C sends
    _, rest = proc.communicate(timeout=60)
    assert proc.returncode == 130, rest
    assert rest.strip().splitlines()[-1] == "interrupted"
    assert "Traceback" not in rest
    runs = checkout / "runs"
    assert not runs.exists() or not any(runs.iterdir()), list(runs.rglob("*"))
    left = [p.name for p in (tmp_path / "tmp").iterdir() if p.name.startswith("day3-")]
    assert left == []  # the trainer's scratch folder is gone too
