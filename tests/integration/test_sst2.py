"""On the real SST-2 mirror (CI sets DAY3_DATA_DIR=../shared/data): a short real fine-tune of the
embedded MiniLM must learn, and `eval-classifier` on the mirror's own tsv must agree with the
run's evaluation. The full one-epoch numbers live in benchmarks/, not in a timed test."""

import json

import pytest

from day3.cli.main import main

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_minilm_learns_sst2_and_eval_classifier_agrees(mirror, tmp_path, capsys):
    out = tmp_path / "run"
    code = main(
        [
            "finetune-classifier",
            "--model",
            "minilm",
            "--data",
            "sst2",
            "--strategy",
            "full",
            "--epochs",
            "1",
            "--max-train-samples",
            "4000",
            "--output",
            str(out),
        ]
    )
    assert code == 0
    own = json.loads((out / "metrics.json").read_text())
    assert own["data"].startswith("local mirror")
    assert own["n_validation"] == 872
    assert own["validation"]["accuracy"] > 0.75  # a coin toss is 0.5; 4,000 rows give ~0.79
    capsys.readouterr()
    code = main(["eval-classifier", str(out), str(mirror / "sst2" / "validation.tsv")])
    assert code == 0
    got = json.loads(capsys.readouterr().out)
    assert got["n"] == 872
    assert got["accuracy"] == own["validation"]["accuracy"]
    assert got["f1"] == own["validation"]["f1"]
