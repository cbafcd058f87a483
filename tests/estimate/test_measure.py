"""`--measure`: a few real training steps in a child process, their peak beside the estimate.
The full table (MiniLM at batch 8/32/128 × 64/128 tokens) is `python -m day3.estimate.benchmark`
(minutes); here, two small settings that run in seconds."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from day3.estimate.hardware import HARDWARE
from day3.estimate.memory import run_estimate
from day3.estimate.report import compared_bytes
from tests.conftest import ROOT


@pytest.mark.slow
@pytest.mark.parametrize(
    ("model", "method", "precision"),
    [("tiny-bert", "full", "fp32"), ("minilm", "lora:16", "bf16")],
)
def test_measured_peak_is_within_20_percent_of_the_estimate(model, method, precision):
    e = run_estimate(
        model=model, method=method, precision=precision, batch_size=8, seq_len=64, measure=True,
        steps=2,
    )  # fmt: skip
    m = e.measured
    assert m["peak_kind"] == "peak RSS"
    assert 0.8 <= e.measured_peak_bytes / compared_bytes(e) <= 1.2
    # the fixed baseline the estimate adds is what the child measured before loading a model
    assert 0.75 <= m["baseline_bytes"] / HARDWARE["cpu"].runtime_bytes <= 1.25
    assert m["malloc_mmap_threshold"] == "131072"


def test_importing_the_estimator_stays_light():
    """The CLI builds its parser from EstimateConfig: that must not import torch."""
    code = (
        "import sys; import day3.estimate.memory, day3.estimate.report; "
        "print(sorted(m for m in ('torch', 'transformers', 'peft') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert json.loads(out.stdout.replace("'", '"')) == []
