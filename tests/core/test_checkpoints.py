"""Atomic checkpoints and exact resume (day3.core.checkpoints), from the folder rules up to kill -9."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import sys
from pathlib import Path

import pytest

from day3.core.checkpoints import (
    MARKER,
    check_checkpoint,
    find_resume_checkpoint,
    pin_run_identity,
    rotate,
    write_marker,
)
from tests.cli.test_cli import assert_user_error, run
from tests.conftest import ROOT


def make_checkpoint(root: Path, step: int, complete: bool = True) -> Path:
    folder = root / f"checkpoint-{step}"
    folder.mkdir(parents=True)
    (folder / "model.safetensors").write_bytes(bytes(range(256)) * 40)
    (folder / "optimizer.pt").write_bytes(b"\x01" * 3000)
    (folder / "trainer_state.json").write_text(json.dumps({"global_step": step}))
    if complete:
        write_marker(folder, step)
    return folder


def warnings_of(capsys) -> str:
    return " ".join(capsys.readouterr().err.split())  # rich wraps long lines


def test_newest_complete_checkpoint_is_chosen(tmp_path):
    for step in (5, 10):
        make_checkpoint(tmp_path, step)
    assert find_resume_checkpoint(tmp_path) == tmp_path / "checkpoint-10"
    marker = json.loads((tmp_path / "checkpoint-10" / MARKER).read_text())
    assert marker["step"] == 10
    assert set(marker["files"]) == {"model.safetensors", "optimizer.pt", "trainer_state.json"}
    assert marker["files"]["optimizer.pt"]["size"] == 3000


def test_missing_folder_and_no_checkpoint_give_none(tmp_path):
    assert find_resume_checkpoint(tmp_path / "absent") is None
    assert find_resume_checkpoint(tmp_path) is None


def test_incomplete_newest_is_skipped_with_a_warning_and_removed(tmp_path, capsys):
    make_checkpoint(tmp_path, 5)
    make_checkpoint(tmp_path, 10, complete=False)  # killed before its marker: stock HF loads it
    assert find_resume_checkpoint(tmp_path) == tmp_path / "checkpoint-5"
    assert re.search(r"skipping checkpoint \S+checkpoint-10: incomplete", warnings_of(capsys))
    assert not (tmp_path / "checkpoint-10").exists()


@pytest.mark.parametrize("name", ["model.safetensors", "optimizer.pt"])
def test_truncated_file_falls_back_to_the_previous_checkpoint(tmp_path, capsys, name):
    make_checkpoint(tmp_path, 5)
    newest = make_checkpoint(tmp_path, 10)
    with (newest / name).open("r+b") as f:
        f.truncate(100)
    assert find_resume_checkpoint(tmp_path) == tmp_path / "checkpoint-5"
    assert re.search(rf"checkpoint-10: {re.escape(name)} has 100 bytes", warnings_of(capsys))


def test_same_size_corruption_is_caught_by_the_hash(tmp_path, capsys):
    make_checkpoint(tmp_path, 5)
    newest = make_checkpoint(tmp_path, 10)
    data = bytearray((newest / "model.safetensors").read_bytes())
    data[7] ^= 0xFF
    (newest / "model.safetensors").write_bytes(bytes(data))
    assert "sha256" in check_checkpoint(newest)
    assert find_resume_checkpoint(tmp_path, clean=False) == tmp_path / "checkpoint-5"
    assert "checkpoint-10: model.safetensors does not match its sha256" in warnings_of(capsys)
    assert newest.exists()  # clean=False only reports


def test_bad_markers_are_rejected(tmp_path):
    folder = make_checkpoint(tmp_path, 5)
    (folder / MARKER).write_text('{"files": ')
    assert check_checkpoint(folder) == "unreadable completion marker"
    other = make_checkpoint(tmp_path, 10)
    other.rename(tmp_path / "checkpoint-15")  # a marker only vouches for its own step
    assert "step 10" in check_checkpoint(tmp_path / "checkpoint-15")
    shutil.rmtree(tmp_path / "checkpoint-15")
    make_checkpoint(tmp_path, 20)
    (tmp_path / "checkpoint-20" / "optimizer.pt").unlink()
    assert check_checkpoint(tmp_path / "checkpoint-20") == "optimizer.pt is missing"


def test_tmp_leftovers_are_removed_with_a_warning(tmp_path, capsys):
    make_checkpoint(tmp_path, 5)
    staging = tmp_path / "checkpoint-10.tmp" / "checkpoint-10"
    staging.mkdir(parents=True)
    (staging / "model.safetensors").write_bytes(b"half")
    (tmp_path / "day3-run.json.tmp").write_text("{")
    assert find_resume_checkpoint(tmp_path) == tmp_path / "checkpoint-5"
    err = warnings_of(capsys)
    assert "removing" in err and "checkpoint-10.tmp" in err and "day3-run.json.tmp" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint-5"]


def test_rotation_keeps_the_two_newest_complete(tmp_path):
    for step in (5, 10, 15, 20):
        make_checkpoint(tmp_path, step)
    make_checkpoint(tmp_path, 25, complete=False)
    rotate(tmp_path)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["checkpoint-15", "checkpoint-20", "checkpoint-25"]


@pytest.mark.parametrize(
    ("value", "killed_at"), [(None, None), ("3", 3), ("not a number", None), ("9", None)]
)
def test_fault_hook_kills_at_the_save_it_names_and_only_there(value, killed_at):
    """In a child process: saves 1..4 call the hook; the one it names dies by SIGKILL, the
    others (and any other setting) go on."""
    import os
    import signal
    import subprocess
    import sys

    from day3.core.checkpoints import FAULT_ENV

    code = (
        "from day3.core.checkpoints import _maybe_fault\n"
        "for n in range(1, 5):\n"
        "    _maybe_fault(n)\n"
        "    print(f'survived save {n}', flush=True)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != FAULT_ENV}
    if value is not None:
        env[FAULT_ENV] = value
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    survived = [int(line.split()[-1]) for line in proc.stdout.splitlines()]
    if killed_at is None:
        assert proc.returncode == 0 and survived == [1, 2, 3, 4], proc.stderr
    else:
        assert proc.returncode == -signal.SIGKILL
        assert survived == list(range(1, killed_at))


def test_resume_under_other_settings_is_refused(tmp_path):
    from day3.core.errors import UserError

    make_checkpoint(tmp_path, 5)
    pin_run_identity(tmp_path, {"epochs": 2.0, "seed": 42})
    pin_run_identity(tmp_path, {"epochs": 2.0, "seed": 42})  # same settings: fine
    with pytest.raises(UserError, match=r"other settings \(epochs\)"):
        pin_run_identity(tmp_path, {"epochs": 3.0, "seed": 42})


def classifier_argv(model: Path, data: tuple[Path, Path], out: Path, *extra) -> list:
    train, val = data
    return [
        "finetune-classifier",
        *("--model", model, "--data", train, "--validation-file", val, "--output", out),
        *("--epochs", "2", "--batch-size", "8", "--lr", "1e-3"),
        *("--label-names", "negative,positive", *extra),
    ]


def test_bad_save_steps_and_stale_checkpoints_are_user_errors(
    capsys, tiny_bert, sentiment_jsonl, tmp_path
):
    out = tmp_path / "run"
    code, _, err = run(
        capsys, *classifier_argv(tiny_bert, sentiment_jsonl, out, "--save-steps", "0")
    )
    assert_user_error(code, err, r"--save-steps must be at least 1")
    make_checkpoint(tmp_path / "run.checkpoints", 4)
    code, _, err = run(capsys, *classifier_argv(tiny_bert, sentiment_jsonl, out))
    assert_user_error(code, err, r"run\.checkpoints holds checkpoints .*--resume.*--overwrite")
    assert (tmp_path / "run.checkpoints" / "checkpoint-4").is_dir()  # nothing was discarded


@pytest.mark.slow
def test_resuming_a_finished_run_says_so_and_exits_0(capsys, tiny_bert, sentiment_jsonl, tmp_path):
    """Killed after its folder was committed: a retry-until-done loop must end."""
    import json

    out = tmp_path / "run"
    argv = classifier_argv(tiny_bert, sentiment_jsonl, out, "--save-steps", "3")
    code, first, err = run(capsys, *argv)
    assert code == 0, err
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    code, again, err = run(capsys, *argv, "--resume")
    assert code == 0, err
    assert "already complete: nothing to resume" in err
    assert json.loads(again)["accuracy"] == json.loads(first)["accuracy"]
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before  # untouched
    assert not (tmp_path / "run.checkpoints").exists()
    code, _, err = run(capsys, *classifier_argv(tiny_bert, sentiment_jsonl, out, "--seed", "7"),
                       "--resume")  # fmt: skip
    assert_user_error(code, err, r"finished run with other settings \(.*seed\)")


@pytest.mark.slow
def test_resume_without_checkpoints_starts_fresh_and_cleans_up(
    capsys, tiny_bert, sentiment_jsonl, tmp_path
):
    out = tmp_path / "run"
    argv = classifier_argv(tiny_bert, sentiment_jsonl, out, "--save-steps", "2", "--resume")
    code, _, err = run(capsys, *argv)
    assert code == 0, err
    assert "no complete checkpoint" in " ".join(err.split())
    settings = json.loads((out / "settings.json").read_text())
    assert settings["save_steps"] == 2 and settings["training_args"]["save_strategy"] == "steps"
    assert not (tmp_path / "run.checkpoints").exists() and not (tmp_path / "run.partial").exists()


@pytest.mark.slow
def test_seq2seq_resume_is_bitwise_exact(tmp_path):
    """train_seq2seq: a run that loses its newest checkpoint and resumes from the one before
    ends with the same weights as the run that never stopped."""
    import torch
    from datasets import Dataset

    from day3.core.device import pick_device
    from day3.miniflan.tasks import sample
    from day3.models.catalogue import resolve_model
    from day3.models.loading import load_seq2seq
    from day3.seq2seq.train import Seq2SeqBudget, tokenize_pairs, train_seq2seq, training_arguments

    path = resolve_model("tiny-t5").path
    model, tok = load_seq2seq(path)
    train = tokenize_pairs(Dataset.from_list(sample("last-word", 96, seed=3, distinct=False)), tok)

    def args():
        return training_arguments(
            str(tmp_path / "ckpt"),
            Seq2SeqBudget(12, 3e-3, 16),
            pick_device(bf16=False),
            save_strategy="steps",
            save_steps=4,
        )

    first = train_seq2seq(model, tok, train, args())["model"].state_dict()
    assert sorted(p.name for p in (tmp_path / "ckpt").iterdir()) == [
        "checkpoint-12",
        "checkpoint-8",
    ]
    shutil.rmtree(tmp_path / "ckpt" / "checkpoint-12")  # as if killed before it completed
    model, tok = load_seq2seq(path)
    measured = train_seq2seq(model, tok, train, args(), resume=True)
    assert measured["steps"] == 12
    again = measured["model"].state_dict()
    assert all(torch.equal(first[k], again[k]) for k in first)


def load_fault_script():
    spec = importlib.util.spec_from_file_location(
        "fault_resume", ROOT / "benchmarks/fault_resume.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_kill_9_three_times_then_resume_gives_identical_weights(tmp_path):
    """The fault script at CI scale: 3 kills (one mid-save), then a truncated model and a
    truncated optimizer in the newest checkpoint; the final weights must be bitwise equal."""
    fault = load_fault_script()
    settings = fault.Settings(
        kills=3, epochs=3, batch_size=16, save_steps=3, launcher="fork", workdir=tmp_path
    )
    report = fault.run_fault_test(settings)
    assert not report.problems, report.problems
    assert report.tensors > 0 and report.different == []
    assert report.loss_log_equal and report.leftovers == []
    hows = [r["how"] for r in report.rows]
    assert report.kills == len(hows) - 1 >= 4 and report.rows[-1]["exit"] == 0
    assert any("mid-save" in h for h in hows[:3]) and any(h.startswith("random") for h in hows)
    # Each truncation made the relaunch warn and fall back to the checkpoint before it (checked
    # by the script: a problem otherwise); both fell back to a real checkpoint, not to scratch.
    assert all(r["resumed from"] != "scratch" for r in report.rows[-2:]) and report.passed
    # Resumes inside a later epoch: where the stock group_by_length order would diverge.
    resumed = [
        int(r["resumed from"].split("-")[1]) for r in report.rows if "-" in r["resumed from"]
    ]
    per_epoch = report.steps // 3
    assert any(step > per_epoch and step % per_epoch for step in resumed), resumed
