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

Only the standard library is imported here: `kit_python` must work on a Python that has none
of the kit's dependencies.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.util import find_spec
from pathlib import Path

NEEDED = ("torch", "transformers", "datasets", "peft")

REEXEC = "DAY3_LESSON_REEXEC"  # set on the re-run, so that it can never loop


def kit_python(lesson_file: str) -> None:
    """Make sure the lesson runs on a Python with the kit installed. `python lesson.py` from a
    fresh shell finds the system Python: re-run the same command on the checkout's
    `.venv/bin/python` (made by `make setup`), or say how to get it."""
    if all(find_spec(name) is not None for name in NEEDED):
        from day3.core.env import configure

        configure()  # offline switches, before the lesson imports any Hugging Face library
        return
    root = Path(lesson_file).resolve().parents[1]
    venv = root / ".venv" / "bin" / "python"
    if venv.is_file() and os.environ.get(REEXEC) != "1":
        os.environ[REEXEC] = "1"
        os.execv(str(venv), [str(venv), lesson_file, *sys.argv[1:]])
    sys.stderr.write(
        f"error: this Python ({sys.executable}) does not have the kit's libraries; run "
        f"`make setup` in {root}, then `source .venv/bin/activate` (or run the lesson with "
        ".venv/bin/python)\n"
    )
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
