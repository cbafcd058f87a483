"""The Train tab's jobs without a browser or a real training: the command a job runs, one job
at a time (a second Start is `busy`, from this server or another on the same workspace), its
state read back from files alone, Stop, and uploaded files checked by the kit's validation.
A stand-in for `python -m day3.cli finetune-classifier` (FAKE_MODE) keeps each test to a
fraction of a second."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from day3.core.errors import UserError
from day3.core.runs import MARKER
from day3.serve.jobs import Busy, JobBoard, TrainRequest, parse_log, read_status
from day3.serve.uploads import check_upload
from tests.conftest import sentiment_rows, write_jsonl

FAKE = '''#!{python}
"""Stands in for `python -m day3.cli finetune-classifier ... --output OUT`."""
import json, os, sys, time
out = sys.argv[sys.argv.index("--output") + 1]
mode = os.environ.get("FAKE_MODE", "train")
if mode == "fail":
    print("error: data file x.csv does not exist; check the path", file=sys.stderr)
    sys.exit(2)
print("train lora: step 1/4 (25%), 0 s, ~3 s left", file=sys.stderr, flush=True)
print("train lora: step 2/4 (50%), loss 0.7000, 0 s, ~2 s left", file=sys.stderr, flush=True)
if mode == "finish":
    os.makedirs(out)
    with open(os.path.join(out, "day3-output.json"), "w") as f:
        json.dump({{"kind": "classifier-run", "state": "complete"}}, f)
    print("train lora: trained 4 steps in 0.1 s, loss 0.7100 → 0.6000", file=sys.stderr)
    print(json.dumps({{"run": out, "accuracy": 0.75, "f1": 0.7, "n": 4}}))
    sys.exit(0)
try:
    time.sleep(60)
except KeyboardInterrupt:
    print("interrupted", file=sys.stderr)
    sys.exit(130)
'''

SETTINGS = dict(model="tiny-bert", data="embedded", strategy="lora", epochs=1, samples=32)


@pytest.fixture
def fake_python(tmp_path) -> str:
    path = tmp_path / "fake-python"
    path.write_text(FAKE.format(python=sys.executable))
    path.chmod(0o755)
    return str(path)


def wait_for(board: JobBoard, predicate, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = board.status()
        if predicate(status):
            return status
        time.sleep(0.05)
    raise AssertionError(f"timed out; last status {board.status()}")


def test_the_command_is_the_verb_with_its_flags_quoted_for_a_shell(tmp_path):
    out = tmp_path / "my runs" / "job-001" / "run"
    request = TrainRequest("tiny-bert", "embedded", "lora:8", 0.5, out, max_train_samples=32)
    assert request.argv() == [
        "finetune-classifier", "--model", "tiny-bert", "--data", "embedded",
        "--strategy", "lora:8", "--epochs", "0.5", "--max-train-samples", "32",
        "--output", str(out),
    ]  # fmt: skip
    assert request.command() == (
        "day3 finetune-classifier --model tiny-bert --data embedded --strategy lora:8 "
        f"--epochs 0.5 --max-train-samples 32 --output '{out}'"
    )
    whole = TrainRequest("minilm", "sst2", "full", 3.0, Path("runs/x/run"))
    assert whole.command().endswith("--strategy full --epochs 3 --output runs/x/run")


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(strategy="nope"), r"^unknown strategy 'nope'; choose one of full, lora, dora"),
        (dict(epochs=0), r"^--epochs must be at least 0\.01 \(got 0\.0\)$"),
        (dict(epochs=21), r"^--epochs must be at most 20 \(got 21\.0\)$"),
        (dict(model="--output=/etc"), r"^--model '--output=/etc' is not a model name or path$"),
        (dict(data="mine"), r"^unknown data choice 'mine'; choose embedded, sst2 or upload$"),
        (dict(data="upload"), r"^no training file yet: upload a csv, tsv or jsonl file$"),
        (dict(data="upload", upload="x.exe"), r"^x\.exe: unsupported file type '\.exe'"),
    ],
)
def test_a_bad_train_request_is_refused_in_one_line(tmp_path, change, message):
    with pytest.raises(UserError, match=message):
        JobBoard(tmp_path).plan(**{**SETTINGS, **change})


def test_a_job_is_named_after_the_last_one_and_keeps_its_upload_under_a_fixed_name(tmp_path):
    board = JobBoard(tmp_path / "ws")
    request = board.plan(**{**SETTINGS, "data": "upload", "upload": "/a/../../b/My Data.CSV"})
    assert request.data == str(tmp_path / "ws" / "job-001" / "data.csv")
    assert request.output == tmp_path / "ws" / "job-001" / "run"
    (tmp_path / "ws" / "job-009").mkdir(parents=True)
    (tmp_path / "ws" / "notes").mkdir()
    assert board.next_name() == "job-010"
    assert board.plan(**{**SETTINGS, "samples": 0}).max_train_samples is None


def test_progress_lines_become_steps_and_a_loss_curve():
    log = "\n".join([
        "data: embedded movie-review sample — 32 train / 4 validation, classes a, b",
        "train lora: step 1/40 (2%), 0 s, ~3 s left",
        "train lora: step 4/40 (10%), loss 0.6931, 1 s, ~9 s left",
        "  train lora: step 8/40 (20%), loss 0.6500, 2 s, ~8 s left",
        "train lora: step 8/40 (20%), loss 0.6500, 2 s, ~8 s left",
        "train lora: step 40/40 (100%), loss 0.4000, 9 s, ~0 s left",
        "train lora: trained 40 steps in 9.1 s, loss 0.7000 → 0.3500",
    ])  # fmt: skip
    assert parse_log(log) == (40, 40, [(4, 0.6931), (8, 0.65), (40, 0.4)])
    assert parse_log(log.replace("step 40/40 (100%), loss 0.4000", "step 40/40 (100%)")) == (
        40, 40, [(4, 0.6931), (8, 0.65), (40, 0.35)],
    )  # fmt: skip
    assert parse_log("") == (0, 0, [])


def test_one_job_at_a_time_seen_alike_by_every_server_and_stopped_by_ctrl_c(
    tmp_path, fake_python, monkeypatch
):
    monkeypatch.setenv("FAKE_MODE", "train")
    board = JobBoard(tmp_path / "ws", python=fake_python)
    first = board.start(**SETTINGS)
    assert first.name == "job-001" and first.active
    assert first.command == board.plan(**SETTINGS, name="job-001").command()
    status = wait_for(board, lambda s: s.step == 2)
    assert (status.state, status.total, status.losses) == ("running", 4, [(2, 0.7)])
    assert status.summary() == "job-001: running, step 2/4 (50%), loss 0.7000"
    with pytest.raises(Busy, match=r"^busy: job-001 is training \(step 2/4 \(50%\), loss 0\.7000"):
        board.start(**SETTINGS)
    other = JobBoard(tmp_path / "ws", python=fake_python)  # a second server, or a restart
    assert other.status().summary() == status.summary()
    with pytest.raises(Busy):
        other.start(**SETTINGS)
    assert other.stop() == "job-001: stopping"
    ended = tmp_path / "ws/job-001/exit.json"  # written by the watcher just after the exit
    stopped = wait_for(board, lambda s: s.state == "stopped" and ended.is_file())
    assert stopped.message == "interrupted" and stopped.run is None
    assert json.loads(ended.read_text())["returncode"] == 130
    assert board.stop() == "no job is training"
    assert board.start(**SETTINGS).name == "job-002"  # free again
    board.stop_own(timeout=5)
    assert wait_for(board, lambda s: not s.active).state == "stopped"


def test_a_finished_job_names_its_run_and_a_failed_one_its_error(
    tmp_path, fake_python, monkeypatch
):
    board = JobBoard(tmp_path / "ws", python=fake_python)
    monkeypatch.setenv("FAKE_MODE", "finish")
    board.start(**SETTINGS)
    done = wait_for(board, lambda s: not s.active)
    assert (done.state, done.run) == ("done", (tmp_path / "ws/job-001/run").resolve())
    assert done.message == "validation accuracy 0.750: serve it in Predict"
    assert done.losses == [(2, 0.7), (4, 0.6)]
    monkeypatch.setenv("FAKE_MODE", "fail")
    board.start(**SETTINGS)
    failed = wait_for(board, lambda s: not s.active)
    assert (failed.name, failed.state, failed.run) == ("job-002", "failed", None)
    assert failed.message == "error: data file x.csv does not exist; check the path"


def test_a_job_whose_server_died_is_read_from_its_files(tmp_path):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    folder = tmp_path / "job-001"
    folder.mkdir()
    run = folder / "run"
    (folder / "job.json").write_text(json.dumps({"pid": gone.pid, "run": str(run)}))
    (folder / "log.txt").write_text("train full: step 3/9 (33%), loss 0.5, 1 s, ~2 s left\n")
    lost = read_status(folder)
    assert (lost.state, lost.step, lost.total) == ("lost", 3, 9)
    run.mkdir()
    (run / MARKER).write_text(json.dumps({"kind": "classifier-run", "state": "complete"}))
    assert read_status(folder).state == "done"
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:  # a live pid that is not a day3 training (a reused pid) is not "running"
        (folder / "job.json").write_text(json.dumps({"pid": alive.pid, "run": str(run)}))
        assert read_status(folder).state == "done"
    finally:
        alive.kill()
        alive.wait()


def test_an_upload_is_checked_by_the_kits_own_validation(tmp_path):
    good = write_jsonl(tmp_path / "reviews.jsonl", sentiment_rows() * 3)
    assert check_upload(good) == (
        "reviews.jsonl: 32 training and 4 validation rows, classes LABEL_0, LABEL_1"
    )
    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\nfine film,1\n")
    with pytest.raises(UserError) as e:
        check_upload(bad)
    assert str(e.value) == (
        "bad.csv: no column 'sentence' (columns: text, label); pass --text-column NAME"
    )
    script = tmp_path / "run.py"
    script.write_text("import os\n")
    with pytest.raises(UserError, match=r"^run\.py: unsupported file type '\.py'; upload a"):
        check_upload(script)
    big = tmp_path / "big.csv"
    big.write_bytes(b"sentence,label\n" + b"a,1\n" * 300_000)
    with pytest.raises(UserError, match=r"^big\.csv is 1\.1 MB, more than the 1 MB this app"):
        check_upload(big, max_mb=1)
