"""Every lesson also opens as a Jupyter notebook: its `# %%` cells (jupytext's percent format)
each compile on their own, and a kernel gives the lesson what a script has (its argv from
DAY3_LESSON_ARGS, its `__file__`, the checkout's root as the current folder; see
day3.core.lesson). That every lesson's notebook runs in smoke mode and leaves what the script
leaves is the second run of tests/lessons/test_lessons.py."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from day3.core import lesson as helper
from day3.core.lesson import LESSON_ARGS, kit_python
from tests.lessons.test_lessons import LESSONS

jupytext = pytest.importorskip("jupytext")
nbclient = pytest.importorskip("nbclient")


def test_every_lesson_is_cut_into_cells_that_each_compile():
    assert len(LESSONS) >= 10
    for lesson in LESSONS:
        nb = jupytext.read(lesson)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert len(code) >= 3, f"{lesson.name}: {len(code)} code cells; cut it with `# %%`"
        for i, cell in enumerate(code):  # a `with` block cut in two does not compile
            try:
                compile(cell.source, f"{lesson.name}, cell {i}", "exec")
            except SyntaxError as e:
                pytest.fail(f"{lesson.name}: a cell does not compile on its own: {e}")
        # the notebook's stand-in for __file__ names this very lesson, before anything uses it
        first_use = next(i for i, c in enumerate(code) if "__file__" in c.source)
        assert code[first_use].metadata.get("active") == "ipynb", lesson.name
        assert code[first_use].source.startswith(f'__file__ = "{lesson.name}"'), lesson.name
        # in the script, that cell is a comment: the .py runs exactly as before
        assert f'\n# __file__ = "{lesson.name}"' in lesson.read_text(), lesson.name


@pytest.fixture
def kernel(tmp_path, monkeypatch) -> Path:
    """What a notebook's kernel gives a lesson: the lesson's folder as the current one, the
    kernel's own sys.argv, and globals (`__main__`) without the lesson's `__file__`."""
    lesson = tmp_path / "1_Session" / "lesson.py"
    lesson.parent.mkdir()
    lesson.write_text('"""A lesson."""\n')
    monkeypatch.chdir(lesson.parent)
    monkeypatch.setattr(helper, "in_notebook", lambda: True)
    monkeypatch.setattr(helper, "_started_in", [])
    monkeypatch.setattr(sys, "argv", ["ipykernel_launcher.py", "-f", "kernel-1.json"])
    monkeypatch.setattr(sys.modules["__main__"], "__file__", "kernel", raising=False)
    monkeypatch.setattr(helper.os, "execv", lambda *a: pytest.fail(f"a kernel was replaced: {a}"))
    return lesson


def test_in_a_notebook_the_lesson_gets_a_scripts_argv_file_and_folder(kernel, monkeypatch):
    monkeypatch.setenv(LESSON_ARGS, "--smoke --text 'a b'")
    kit_python("lesson.py")
    assert sys.argv == [str(kernel), "--smoke", "--text", "a b"]
    assert sys.modules["__main__"].__file__ == str(kernel)  # the notebook's globals
    assert Path.cwd() == kernel.parents[1]  # runs/… lands where the script puts it
    kit_python("lesson.py")  # Run All again, from the checkout's root now: the same lesson
    assert sys.argv == [str(kernel), "--smoke", "--text", "a b"]
    monkeypatch.delenv(LESSON_ARGS)
    kit_python("lesson.py")
    assert sys.argv == [str(kernel)]  # nothing said: the lesson's defaults


@pytest.mark.parametrize(
    "name, args, needed, says",
    [
        ("other.py", "", None, "does not exist: a lesson's notebook runs in the folder of its"),
        ("lesson.py", "--text 'a b", None, "DAY3_LESSON_ARGS cannot be read as shell arguments"),
        ("lesson.py", "", ("no_such_kit_library",), "ipykernel install --user --name day3"),
    ],
)
def test_a_notebook_that_cannot_run_says_why_in_one_line(
    kernel, monkeypatch, capsys, name, args, needed, says
):
    monkeypatch.setenv(LESSON_ARGS, args)
    if needed:
        monkeypatch.setattr(helper, "NEEDED", needed)
    with pytest.raises(SystemExit) as e:
        kit_python(name)
    err = capsys.readouterr().err
    assert e.value.code == 2 and err.startswith("error: ") and says in err, err
    assert err.count("\n") == 1
