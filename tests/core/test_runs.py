"""Run folders: whole or absent, and never a folder the user did not mean to replace."""

import os
from pathlib import Path

import pytest

from day3.core.errors import UserError
from day3.core.runs import RunFolder


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


def _kit_output(folder: Path, kind: str = "classifier-run") -> Path:
    import json

    from day3.core.runs import MARKER

    folder.mkdir(parents=True)
    (folder / MARKER).write_text(json.dumps({"kind": kind, "state": "complete"}))
    (folder / "model.safetensors").write_bytes(b"w")
    return folder


def test_replace_own_replaces_the_kits_output_and_nothing_else(tmp_path):
    own = _kit_output(tmp_path / "lesson")
    folder = RunFolder(own, replace_own=True)
    (folder.begin() / "new.txt").write_text("2")
    folder.commit()
    assert sorted(os.listdir(own)) == ["day3-output.json", "new.txt"]
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    with pytest.raises(UserError, match="not empty"):
        RunFolder(mine, replace_own=True).check()


def test_overwrite_never_replaces_a_folder_holding_runs_or_writes_inside_one(tmp_path):
    _kit_output(tmp_path / "runs" / "a")
    with pytest.raises(UserError, match="holds other day3 outputs"):
        RunFolder(tmp_path / "runs", overwrite=True).check()
    with pytest.raises(UserError, match="inside the day3 output"):
        RunFolder(tmp_path / "runs" / "a" / "v2", overwrite=True).check()
    RunFolder(tmp_path / "runs" / "b").check()  # a sibling is fine
    assert (tmp_path / "runs" / "a" / "model.safetensors").read_bytes() == b"w"


def test_inputs_are_never_the_output_nor_inside_it(tmp_path):
    run = _kit_output(tmp_path / "run")
    cases = [(run, "is the input"), (run / "x", "inside the day3 output"), (tmp_path, "holds")]
    for out, pattern in cases:
        with pytest.raises(UserError, match=pattern):
            RunFolder(out, overwrite=True, inputs=(run,)).check()


def test_a_partial_folder_the_kit_did_not_write_is_never_deleted(tmp_path):
    stranger = tmp_path / "run.partial"
    stranger.mkdir()
    (stranger / "data.csv").write_text("someone's")
    with pytest.raises(UserError, match="was not written by day3"):
        RunFolder(tmp_path / "run").begin()
    RunFolder(tmp_path / "run").abort()
    assert (stranger / "data.csv").read_text() == "someone's"
