"""Run folders: whole or absent, and never a folder the user did not mean to replace."""

import os
from pathlib import Path

import pytest

from day3.errors import UserError
from day3.runs import RunFolder


def test_commit_replaces_only_when_complete(tmp_path):
    out = tmp_path / "run"
    folder = RunFolder(out)
    (folder.begin() / "a.txt").write_text("1")
    assert not out.exists()  # nothing under the real name until commit
    folder.commit()
    assert (out / "a.txt").read_text() == "1" and not folder.partial.exists()
    with pytest.raises(UserError, match="--overwrite"):
        RunFolder(out).check()
    again = RunFolder(out, overwrite=True)
    (again.begin() / "b.txt").write_text("2")
    again.abort()
    assert (out / "a.txt").read_text() == "1" and not again.partial.exists()


@pytest.mark.parametrize("where", [".", "..", "~", "/", "repo"])
def test_precious_folders_are_never_replaced(tmp_path, monkeypatch, where):
    work = tmp_path / "work" / "here"
    work.mkdir(parents=True)
    (work / "notes.txt").write_text("mine")
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    monkeypatch.chdir(work)
    monkeypatch.setenv("HOME", str(tmp_path / "work"))
    target = str(tmp_path / "repo") if where == "repo" else where
    with pytest.raises(UserError, match="name a new folder"):
        RunFolder(Path(target), overwrite=True).check()
    assert (work / "notes.txt").read_text() == "mine"
    assert sorted(os.listdir(tmp_path)) == ["repo", "work"]


def test_a_subfolder_of_the_current_folder_is_fine(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = RunFolder(Path("runs/x"), overwrite=True)
    folder.check()
    (folder.begin() / "a.txt").write_text("1")
    assert folder.commit() == Path("runs/x")
