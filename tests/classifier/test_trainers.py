import json

import pytest
import torch

from day3.classifier.predict import load_classifier_folder, predict_logits
from day3.classifier.run import run_classifier_job
from day3.classifier.save import save_run
from day3.classifier.strategies import StrategyConfig
from day3.classifier.train import ClassifierJob, evaluate, fine_tune, prepare
from day3.core.errors import UserError
from day3.data.classification import DataSpec

TEXTS = ["a wonderful film", "a dull mess", "not bad at all, i loved it", "boring and far too long"]


def job(model, out, strategy="full", **kw) -> ClassifierJob:
    kw.setdefault("epochs", 1)
    kw.setdefault("batch_size", 16)
    return ClassifierJob(
        model=str(model),
        data=DataSpec("embedded", max_train_samples=64, max_eval_samples=32),
        strategy=StrategyConfig.parse(strategy),
        output=out,
        **kw,
    )


@pytest.mark.slow
@pytest.mark.parametrize("strategy", ["full", "lora", "frozen"])
def test_loss_falls(tiny_bert, tmp_path, sentiment_jsonl, strategy):
    lr = {"full": 2e-3, "lora": 1e-2, "frozen": 1e-2}[strategy]
    train, val = sentiment_jsonl
    # A frozen random backbone has nothing to offer its head: frozen needs pretrained features.
    model = "minilm" if strategy == "frozen" else tiny_bert
    j = job(model, tmp_path / "run", strategy, epochs=15, learning_rate=lr, batch_size=12)
    j.data = DataSpec(str(train), validation_file=str(val))
    prep = prepare(j)
    measured = fine_tune(prep)
    losses = [e["loss"] for e in measured["log_history"] if "loss" in e]
    assert len(losses) >= 5
    first, last = losses[0], sum(losses[-3:]) / 3
    assert last < 0.9 * first, losses


def _logits(model, tok):
    return torch.from_numpy(predict_logits(model, tok, TEXTS))


@pytest.mark.slow
@pytest.mark.parametrize("fixture", ["tiny_bert", "tiny_distilbert"])
def test_save_reload_gives_identical_logits_full_adapter_merged(request, tmp_path, fixture):
    model_dir = request.getfixturevalue(fixture)
    # full
    prep = prepare(job(model_dir, tmp_path / "full", learning_rate=1e-3))
    measured = fine_tune(prep)
    before = _logits(prep.model, prep.tokenizer)
    out = save_run(prep, measured, evaluate(prep))
    assert torch.equal(_logits(*load_classifier_folder(out)), before)
    # lora: the merged model at the root (what stock loaders find), the adapter in adapter/;
    # the adapter reloads exactly, the merged model matches it to float rounding
    prep = prepare(job(model_dir, tmp_path / "lora", "lora:4", learning_rate=5e-3))
    measured = fine_tune(prep)
    adapter = _logits(prep.model, prep.tokenizer)
    out = save_run(prep, measured, evaluate(prep))
    assert (out / "model.safetensors").is_file() and not (out / "adapter_config.json").exists()
    assert (out / "adapter" / "adapter_model.safetensors").is_file()
    assert torch.equal(_logits(*load_classifier_folder(out / "adapter")), adapter)
    merged_in_memory = _logits(prep.model, prep.tokenizer)  # save_run merged it
    assert torch.equal(_logits(*load_classifier_folder(out)), merged_in_memory)
    torch.testing.assert_close(merged_in_memory, adapter, atol=1e-4, rtol=1e-4)


@pytest.mark.slow
def test_run_folder_contents(tiny_bert, tmp_path):
    metrics = run_classifier_job(job(tiny_bert, tmp_path / "run"), with_baseline=True)
    out = tmp_path / "run"
    for name in (
        "model.safetensors",
        "config.json",
        "tokenizer.json",
        "metrics.json",
        "settings.json",
        "confusion_matrix.png",
        "train_log.json",
    ):
        assert (out / name).is_file(), name
    assert not list(out.glob("*.bin")) and not (out / "checkpoints").exists()
    assert not (tmp_path / "run.partial").exists()
    for key in ("accuracy", "f1", "n"):
        assert key in metrics["validation"] and key in metrics["baseline"]
    for key in (
        "trainable_params",
        "trainable_percent",
        "train_seconds",
        "samples_per_second",
        "peak_memory_mb",
    ):
        assert metrics[key] > 0
    settings = json.loads((out / "settings.json").read_text())
    assert settings["strategy"]["name"] == "full"
    assert settings["training_args"]["learning_rate"] == pytest.approx(5e-5)
    assert (out / "confusion_matrix.png").read_bytes()[:4] == b"\x89PNG"


def test_existing_output_is_refused_before_any_work(tiny_bert, tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "keep.txt").write_text("precious")
    with pytest.raises(UserError, match="--overwrite"):
        prepare(job(tiny_bert, out))
    assert (out / "keep.txt").read_text() == "precious"


def test_bad_numbers_are_refused(tiny_bert, tmp_path):
    for kw, msg in [
        ({"epochs": -1}, "--epochs"),
        ({"batch_size": 0}, "--batch-size"),
        ({"learning_rate": -1.0}, "--lr"),
        ({"max_length": 0}, "--max-length"),
    ]:
        with pytest.raises(UserError, match=msg):
            job(tiny_bert, tmp_path / "x", **kw)
