"""`day3 finetune-classifier` under torchrun (DDP, gloo on CPU), unchanged: 2 processes at
batch B train the weights 1 process trains at batch 2B (the same examples per step, gradients
averaged), and a 2-process run killed in the middle of a checkpoint resumes to the weights of an
uninterrupted one. Dropout is off and batches are in random (not length-grouped) order, so that
the runs see exactly the same arithmetic; fp32, so the only difference left is the order of a
sum in the all-reduce: tolerance 1e-6 on every weight.

2 processes on 2 cores give no speed-up: this proves correctness, not speed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import sentiment_rows, write_jsonl

TOLERANCE = 1e-6


@pytest.fixture(scope="module")
def setup(tmp_path_factory, tiny_bert) -> dict:
    root = tmp_path_factory.mktemp("ddp")
    model = Path(shutil.copytree(tiny_bert, root / "no-dropout"))
    config = json.loads((model / "config.json").read_text())
    config.update(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    (model / "config.json").write_text(json.dumps(config))
    train = write_jsonl(root / "train.jsonl", sentiment_rows() * 4)  # 48: whole batches of 8
    val = write_jsonl(root / "val.jsonl", sentiment_rows())
    argv = ["finetune-classifier", "--model", model, "--data", train, "--validation-file", val]
    argv += ["--epochs", "2", "--lr", "1e-3", "--no-bf16", "--device", "cpu"]
    argv += ["--no-group-by-length", "--label-names", "negative,positive"]
    argv = [str(a) for a in argv]
    two = launch([*argv, "--batch-size", "4", "--output", str(root / "two")], 2)
    assert two.returncode == 0, two.stderr[-3000:]
    return {"root": root, "argv": argv, "two": two}


def launch(argv: list[str], processes: int, env: dict | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1", **(env or {})}
    if processes == 1:
        cmd = [sys.executable, "-m", "day3.cli", *argv]
    else:
        torchrun = Path(sys.executable).with_name("torchrun")
        cmd = [str(torchrun), "--standalone", f"--nproc_per_node={processes}"]
        cmd += ["-m", "day3.cli", *argv]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)


def weights(run: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(run / "model.safetensors")


def max_difference(a: dict, b: dict) -> float:
    assert a.keys() == b.keys()
    return max((a[k] - b[k]).abs().max().item() for k in a)


@pytest.mark.slow
def test_two_processes_train_what_one_trains_at_twice_the_batch(setup):
    root, argv, two = setup["root"], setup["argv"], setup["two"]
    one = launch([*argv, "--batch-size", "8", "--output", str(root / "one")], 1)
    assert one.returncode == 0, one.stderr[-3000:]
    # One summary and one run folder, written by the main process only.
    assert len(two.stdout.strip().splitlines()) == 1
    assert two.stderr.count("saved run folder") == 1
    assert max_difference(weights(root / "two"), weights(root / "one")) < TOLERANCE
    logged = [json.loads((root / r / "train_log.json").read_text()) for r in ("two", "one")]
    losses = [[e["loss"] for e in log if "loss" in e] for log in logged]
    assert losses[0] == pytest.approx(losses[1], abs=1e-5)  # the same examples, the same loss


@pytest.mark.slow
def test_a_two_process_run_killed_mid_checkpoint_resumes_to_the_same_weights(setup):
    root, argv = setup["root"], [*setup["argv"], "--batch-size", "4"]
    run = [*argv, "--output", str(root / "resumed"), "--save-steps", "2"]
    killed = launch(run, 2, {"DAY3_FAULT_KILL_IN_SAVE": "3"})  # the 3rd save, mid-write
    assert killed.returncode != 0 and not (root / "resumed").exists()
    checkpoints = sorted(p.name for p in (root / "resumed.checkpoints").iterdir())
    assert "checkpoint-4" in checkpoints and "checkpoint-6.tmp" in checkpoints
    resumed = launch([*run, "--resume"], 2)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "resuming from" in resumed.stderr and "checkpoint-4" in resumed.stderr
    assert max_difference(weights(root / "resumed"), weights(root / "two")) == 0.0
    assert not (root / "resumed.checkpoints").exists()
