"""Same seed, same run: two fresh processes fine-tuning on CPU with the default precision (bf16
autocast where the CPU has it) produce identical metrics and bit-identical weights; another seed
produces different weights. Checked for full fine-tuning and for a LoRA adapter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# One fresh interpreter trains both strategies through the CLI, as a user would in a shell:
# it pays the torch/transformers import once instead of twice.
DRIVER = """
import sys
from day3.cli.main import main
out, *common = sys.argv[1:]
for strategy in ("full", "lora"):
    argv = ["finetune-classifier", *common, "--strategy", strategy, "--output", f"{out}/{strategy}"]
    code = main(argv)
    if code:
        sys.exit(code)
"""
WEIGHTS = {
    "full": ["model.safetensors"],
    "lora": ["adapter/adapter_model.safetensors", "model.safetensors"],
}


def train_args(tiny_bert: Path, data: tuple[Path, Path], seed: int) -> list[str]:
    train, val = data
    return [
        *("--model", str(tiny_bert), "--data", str(train), "--validation-file", str(val)),
        *("--epochs", "2", "--lr", "1e-3", "--batch-size", "8", "--device", "cpu"),
        *("--seed", str(seed)),
    ]


def train_in_fresh_process(out: Path, args: list[str]) -> Path:
    proc = subprocess.run(
        [sys.executable, "-c", DRIVER, str(out), *args],
        env={**os.environ, "DAY3_OFFLINE": "1"},
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return out


def tensors(run: Path, strategy: str) -> dict:
    from safetensors.torch import load_file

    return {
        f"{name}:{key}": value
        for name in WEIGHTS[strategy]
        for key, value in load_file(run / strategy / name).items()
    }


def differing(a: dict, b: dict) -> list[str]:
    import torch

    assert a.keys() == b.keys()
    return [k for k in a if not torch.equal(a[k], b[k])]


def learning(run: Path, strategy: str) -> dict:
    """What the run learned, without what the clock measured (time, throughput, memory)."""
    metrics = json.loads((run / strategy / "metrics.json").read_text())
    log = json.loads((run / strategy / "train_log.json").read_text())
    return {
        "validation": metrics["validation"],
        "steps": metrics["steps"],
        "losses": [(e["step"], e["loss"], e.get("grad_norm")) for e in log if "loss" in e],
        "train_loss_last": metrics["train_loss_last"],
    }


@pytest.fixture(scope="module")
def same_seed_runs(tmp_path_factory, tiny_bert) -> tuple[Path, Path, tuple[Path, Path]]:
    from tests.conftest import write_jsonl

    root = tmp_path_factory.mktemp("determinism")
    # The sentiment_jsonl rows, written once for the module (that fixture is per test).
    pos = ["a wonderful film", "i loved it", "great acting and a moving story", "brilliant fun"]
    neg = ["a dull mess", "i hated it", "boring and far too long", "terrible acting"]
    rows = [{"sentence": t, "label": 1} for t in pos] + [{"sentence": t, "label": 0} for t in neg]
    data = (write_jsonl(root / "train.jsonl", rows * 3), write_jsonl(root / "val.jsonl", rows))
    args = train_args(tiny_bert, data, seed=7)
    first = train_in_fresh_process(root / "first", args)
    second = train_in_fresh_process(root / "second", args)
    return first, second, data


@pytest.mark.slow
@pytest.mark.parametrize("strategy", ["full", "lora"])
def test_same_seed_gives_identical_metrics_and_weights(same_seed_runs, strategy):
    first, second, _ = same_seed_runs
    a, b = tensors(first, strategy), tensors(second, strategy)
    assert len(a) >= 3
    assert differing(a, b) == []
    assert learning(first, strategy) == learning(second, strategy)
    assert len(learning(first, strategy)["losses"]) >= 3  # the runs did train


@pytest.mark.slow
def test_another_seed_gives_other_weights(same_seed_runs, tiny_bert, tmp_path):
    from day3.cli.main import main

    first, _, data = same_seed_runs
    args = train_args(tiny_bert, data, seed=8)
    for strategy in WEIGHTS:  # in this process: only the seed has to differ
        out = ["--strategy", strategy, "--output", str(tmp_path / strategy)]
        assert main(["finetune-classifier", *args, *out]) == 0
        changed = differing(tensors(first, strategy), tensors(tmp_path, strategy))
        assert changed, f"{strategy}: seed 8 trained the same weights as seed 7"
        if strategy == "lora":  # the adapter itself, not only the head, depends on the seed
            assert any("lora_A" in k for k in changed)
