"""Running a lesson as the notebook jupytext makes of it, in a kernel (nbclient), as a learner
who opens it in Jupyter would: the kernel starts in the notebook's folder and the lesson takes
its arguments from DAY3_LESSON_ARGS (see day3.core.lesson)."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import pytest

jupytext = pytest.importorskip("jupytext")
nbclient = pytest.importorskip("nbclient")

PROBE = "day3-notebook-probe:"  # what the kernel says of itself after the lesson's last cell
PROBE_CELL = (
    "import json as _j, os as _o, sys as _s\n"
    f"print({PROBE!r}, _j.dumps(dict(argv=_s.argv, cwd=_o.getcwd(), file=__file__, "
    "smoke=getattr(globals().get('args'), 'smoke', None))))"
)


def notebook_args(command: str) -> tuple[dict[str, str], list[str]]:
    """The environment and the arguments of a `VAR=x python LESSON ARGS` command."""
    words = shlex.split(command)
    at = words.index("python")
    env = dict(w.split("=", 1) for w in words[:at])
    return env, words[at + 2 :]


def outputs_text(nb) -> str:
    """What the notebook shows: its streams and the plain text of its displays."""
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                parts.append(out.text)
            elif "data" in out:
                parts.append(out.data.get("text/plain", ""))
    return "".join(parts)


def run_notebook(lesson: Path, cwd: Path, env: dict[str, str], timeout: int = 600):
    """Convert `lesson` with jupytext and execute it in a kernel started in `cwd` (where Jupyter
    starts a notebook's kernel: its own folder), the probe cell last; the executed notebook."""
    nb = jupytext.read(lesson)
    nb.cells.append(jupytext.reads(PROBE_CELL, "py:percent").cells[0])
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # the kernel inherits this process's environment
    try:
        client = nbclient.NotebookClient(
            nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}
        )
        try:
            client.execute()
        except nbclient.exceptions.CellExecutionError as e:
            pytest.fail(f"{lesson.name} as a notebook: {str(e)[-3000:]}")
    finally:
        for k, v in saved.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    return nb
