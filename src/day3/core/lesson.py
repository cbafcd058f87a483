"""What every lesson shares, so that each file reads as its story and nothing else:

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from day3.core.lesson import kit_python, lesson_folder, running
    kit_python(__file__)   # the kit's .venv Python (re-run on it if need be), offline switches
    ...
    with running():        # a UserError -> one line `error: …`, exit 2; Ctrl-C -> exit 130
        ...

Lessons are rerun all the time, so a lesson's *default* output replaces its own previous
output (recognised by the kit's marker, see day3.core.runs) and nothing else; an `--output` the
learner typed keeps the rule of every verb: a non-empty folder needs `--overwrite`.

Every lesson is also a Jupyter notebook. Its `# %%` lines (jupytext's percent format) cut it
into cells, `# %% [markdown]` cells are its story as text, and `make notebooks` writes
`<lesson>.ipynb` beside each `<lesson>.py`; the .py stays the source (edit it, then remake the
notebooks). A notebook differs from a script in three ways, which the lessons absorb:

- It has no `__file__`. A cell that only the notebook runs (`# %% active="ipynb"`, a comment
  in the .py) names the lesson file beside it; Jupyter starts the kernel in the notebook's
  folder, so the name finds it, and `kit_python` makes `__file__` that file's absolute path.
- Its sys.argv is the kernel's. `kit_python` replaces it with the lesson's path and the
  arguments in the environment variable DAY3_LESSON_ARGS, split as a shell would
  (`DAY3_LESSON_ARGS="--smoke" jupyter lab`, or `%env DAY3_LESSON_ARGS=--smoke` in a cell above
  `kit_python`); unset, the lesson takes its defaults, as `python lesson.py` does.
- It runs from the checkout's root, as the docstrings' `python 1_…/lesson.py` commands do:
  `kit_python` changes the kernel's folder there, so `runs/…` is the same folder either way.
  The kernel must be the kit's Python (`.venv/bin/python -m ipykernel install --user --name
  day3`, then pick the day3 kernel); a kernel cannot be re-run on another Python.

A `with` block cannot span cells, so each step of a lesson is a cell with its own
`with running():` (a mistake there prints its one line `error: …` and stops that cell with
SystemExit; the kernel lives on). Only the standard library is imported here: `kit_python`
must work on a Python that has none of the kit's dependencies.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.util import find_spec
from pathlib import Path
from typing import NoReturn

NEEDED = ("torch", "transformers", "datasets", "peft")

REEXEC = "DAY3_LESSON_REEXEC"  # set on the re-run, so that it can never loop
LESSON_ARGS = "DAY3_LESSON_ARGS"  # a notebook's command-line arguments, e.g. "--smoke"

_started_in: list[Path] = []  # a notebook kernel's first folder: the one its lesson is in


def kit_python(lesson_file: str) -> None:
    """Make sure the lesson runs on a Python with the kit installed. `python lesson.py` from a
    fresh shell finds the system Python: re-run the same command on the checkout's
    `.venv/bin/python` (made by `make setup`), or say how to get it. In a notebook, first make
    the kernel look like `python lesson.py ARGS` run from the checkout (see the module's doc)."""
    notebook = in_notebook()
    if notebook:
        lesson_file = str(_as_script(lesson_file))
    if all(find_spec(name) is not None for name in NEEDED):
        from day3.core.env import configure

        configure()  # offline switches, before the lesson imports any Hugging Face library
        return
    root = Path(lesson_file).resolve().parents[1]
    if notebook:  # a kernel is never replaced by another process
        _fail(
            f"this notebook's kernel ({sys.executable}) does not have the kit's libraries; run "
            f"`make setup` in {root}, then `.venv/bin/python -m ipykernel install --user "
            "--name day3` and choose the day3 kernel"
        )
    venv = root / ".venv" / "bin" / "python"
    if venv.is_file() and os.environ.get(REEXEC) != "1":
        os.environ[REEXEC] = "1"
        os.execv(str(venv), [str(venv), lesson_file, *sys.argv[1:]])
    _fail(
        f"this Python ({sys.executable}) does not have the kit's libraries; run "
        f"`make setup` in {root}, then `source .venv/bin/activate` (or run the lesson with "
        ".venv/bin/python)"
    )


def in_notebook() -> bool:
    """True in a Jupyter kernel (Jupyter, VS Code, nbclient), where a lesson runs as cells."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and hasattr(shell, "kernel")


def _as_script(lesson_file: str) -> Path:
    """In a notebook: the lesson .py beside it as `__file__`, DAY3_LESSON_ARGS as sys.argv, the
    checkout's root as the current folder. Rerunning the cells (Run All) finds the same file."""
    if not _started_in:
        _started_in.append(Path.cwd())
    lesson = (_started_in[0] / lesson_file).resolve()
    if not lesson.is_file():
        _fail(
            f"{lesson} does not exist: a lesson's notebook runs in the folder of its .py "
            "(`make notebooks` writes it there); open it from there, or run the .py"
        )
    try:
        args = shlex.split(os.environ.get(LESSON_ARGS, ""))
    except ValueError as e:
        _fail(f"{LESSON_ARGS} cannot be read as shell arguments ({e}); check its quotes")
    sys.argv = [str(lesson), *args]
    sys.modules["__main__"].__file__ = str(lesson)  # the notebook's globals: as in a script
    os.chdir(lesson.parents[1])
    return lesson


def _fail(message: str) -> NoReturn:
    sys.stderr.write(f"error: {message}\n")
    sys.exit(2)


@contextmanager
def running() -> Iterator[None]:
    """The lessons' common ending: the kit's one-line errors, and Ctrl-C as the `day3` verbs
    treat it (`interrupted`, exit 130). What was being written is removed by the library
    itself (a run folder stays `<output>.partial` only until its writer aborts)."""
    from day3.core.errors import UserError

    try:
        yield
    except UserError as e:
        sys.stdout.flush()
        print(f"error: {e}", file=sys.stderr)
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        sys.stdout.flush()
        print("interrupted", file=sys.stderr)
        sys.exit(130)


def lesson_output(given: str | None, default: str) -> tuple[Path, bool]:
    """(output folder, replace_own) for a lesson writing one day3 output: its default output
    may replace the lesson's own previous result; one the learner named may not."""
    return Path(given or default), given is None


def lesson_folder(given: str | None, default: str, overwrite: bool = False) -> Path:
    """The folder of a lesson that writes several outputs into one place (each of them replaces
    only its own previous self). A folder the learner named must be new or empty, unless
    `--overwrite`; none may be the current one, home, a checkout or inside a day3 output."""
    from day3.core.errors import UserError
    from day3.core.runs import check_place

    folder = Path(given or default)
    check_place(folder)
    if given and folder.is_dir() and any(folder.iterdir()) and not overwrite:
        raise UserError(
            f"output folder {folder} exists and is not empty; choose another --output or "
            "pass --overwrite"
        )
    folder.mkdir(parents=True, exist_ok=True)
    return folder
