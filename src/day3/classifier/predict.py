"""Inference: load a run folder (full model or LoRA adapter) and classify text in batches.

Batches are sorted by length so that padding, which costs compute and buys nothing, stays
small; results come back in the caller's order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from day3.core import checks
from day3.core.errors import UserError
from day3.core.flags import option
from day3.data.batching import sorted_batches
from day3.models.loading import check_model_folder, load_tokenizer

if TYPE_CHECKING:
    import torch


@dataclass
class Prediction:
    text: str
    label: str
    score: float  # softmax probability of `label`


def load_classifier_folder(folder: str | Path, allow_pickle: bool = False):
    """(model, tokenizer) from a folder holding a full model or a peft adapter, in eval mode."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UserError(
            f"run folder {folder} does not exist; pass a folder written by "
            "`day3 finetune-classifier`"
        )
    check_model_folder(folder, allow_pickle)
    tokenizer = load_tokenizer(str(folder))
    if (folder / "adapter_config.json").is_file():
        model = _load_adapter(folder)
    else:
        from transformers import AutoModelForSequenceClassification

        from day3.models.loading import from_pretrained

        model = from_pretrained(
            AutoModelForSequenceClassification,
            str(folder),
            # None lets --allow-pickle still prefer safetensors when both exist.
            use_safetensors=None if allow_pickle else True,
            trust_remote_code=False,
        )
    return model.eval(), tokenizer


def _load_adapter(folder: Path):
    """A peft adapter (LoRA, IA3, prompt tuning) on its base model. The adapter folder has no
    config.json, so the base would come back with 2 anonymous labels (LABEL_0, LABEL_1) and a
    3-class head would not fit it: the run's metrics.json (beside the adapter, or one level up
    for a run's adapter/ folder) names the classes. The base is resolved like any --model: a
    local folder, or a Hub id (the embedded MiniLM answers to its Hub id offline)."""
    from peft import AutoPeftModelForSequenceClassification, PeftConfig, PeftModel

    names = None
    for metrics in (folder / "metrics.json", folder.parent / "metrics.json"):
        if metrics.is_file():
            names = json.loads(metrics.read_text()).get("label_names")
            break
    if not names:
        # Explicit False: left unset, transformers asks "run the custom code? [y/N]" on stdin
        # when the base model has an auto_map.
        from day3.models.loading import from_pretrained

        return from_pretrained(
            AutoPeftModelForSequenceClassification,
            str(folder),
            use_safetensors=True,
            trust_remote_code=False,
        )
    from day3.models.catalogue import resolve_model
    from day3.models.loading import load_classifier

    base = PeftConfig.from_pretrained(str(folder)).base_model_name_or_path
    base_path = resolve_model(base, purpose="classifier").path
    return PeftModel.from_pretrained(
        load_classifier(base_path, dict(enumerate(names))), str(folder)
    )


def id2label_of(model) -> dict[int, str]:
    config = model.config if not hasattr(model, "get_base_model") else model.get_base_model().config
    return {int(k): v for k, v in config.id2label.items()}


def predict_logits(
    model,
    tokenizer,
    texts: list[str],
    batch_size: int = 64,
    max_length: int = 256,
    sort_by_length: bool = True,
    dtype: torch.dtype | None = None,
) -> np.ndarray:
    """Logits, shape (len(texts), num_labels), in input order. In eval mode (dropout off),
    whatever mode the model came in; it leaves in the mode it came in."""
    import torch

    dtype = dtype or torch.float32
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    out = np.empty((len(texts), model.config.num_labels), dtype=np.float32)
    try:
        batches = sorted_batches(tokenizer, texts, batch_size, max_length, device, sort_by_length)
        for idx, batch in batches:
            with (
                torch.inference_mode(),
                torch.autocast(device.type, dtype=dtype, enabled=dtype != torch.float32),
            ):
                logits = model(**batch).logits
            out[idx] = logits.float().cpu().numpy()
    finally:
        model.train(was_training)
    return out


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def predict(model, tokenizer, texts: list[str], **kwargs) -> list[Prediction]:
    probs = softmax(predict_logits(model, tokenizer, texts, **kwargs))
    names = id2label_of(model)
    best = probs.argmax(axis=-1)
    return [
        Prediction(t, names[int(b)], float(p[b]))
        for t, b, p in zip(texts, best, probs, strict=True)
    ]


def run_settings(run_dir: str | Path) -> dict:
    """The settings a run was trained with (text/label columns, max_length …), if recorded."""
    path = Path(run_dir) / "settings.json"
    return json.loads(path.read_text()) if path.is_file() else {}


@dataclass
class PredictConfig:
    """`day3 predict`: label and probability for each text, from a run folder."""

    run_dir: Path = option(
        help="a run folder written by `day3 finetune-classifier`", positional=True
    )
    texts: list[str] = option(
        default_factory=list, help="quoted sentences", positional=True, nargs="*"
    )
    file: Path | None = option(
        None, help="texts to label: .txt (one per line), csv, tsv, jsonl, parquet"
    )
    text_column: str | None = option(
        None, help="--file column holding the text (default: sentence)"
    )
    batch_size: int = option(64, help="texts per forward pass")
    allow_pickle: bool = option(False, help="accept *.bin (pickle) weights")

    def __post_init__(self) -> None:
        checks.count("batch_size", self.batch_size)


def predict_run(config: PredictConfig) -> list[Prediction]:
    """The run's prediction for every text given and every text of `config.file`."""
    from day3.data.texts import load_texts

    texts = [t for t in config.texts if t.strip()]
    if config.file:
        texts += load_texts(str(config.file), config.text_column)[0]
    if not texts:
        raise UserError("no text to classify; pass one or more quoted sentences or --file")
    model, tok = load_classifier_folder(config.run_dir, config.allow_pickle)
    max_length = run_settings(config.run_dir).get("max_length", 128)
    return predict(model, tok, texts, batch_size=config.batch_size, max_length=max_length)
