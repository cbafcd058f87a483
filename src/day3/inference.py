"""Inference: load a run folder (full model or LoRA adapter) and classify text in batches.

Batches are sorted by length so that padding, which costs compute and buys nothing, stays
small; results come back in the caller's order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from day3.errors import UserError
from day3.models import check_model_folder, load_tokenizer


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

        model = AutoModelForSequenceClassification.from_pretrained(
            str(folder), use_safetensors=not allow_pickle, trust_remote_code=False
        )
    return model.eval(), tokenizer


def _load_adapter(folder: Path):
    """A peft adapter (LoRA, IA3, prompt tuning) on its base model. The adapter folder has no
    config.json, so the base would come back with 2 anonymous labels (LABEL_0, LABEL_1) and a
    3-class head would not fit it: a run folder's metrics.json names the classes."""
    from peft import AutoPeftModelForSequenceClassification, PeftConfig, PeftModel

    metrics = folder / "metrics.json"
    names = json.loads(metrics.read_text()).get("label_names") if metrics.is_file() else None
    if not names:
        return AutoPeftModelForSequenceClassification.from_pretrained(
            str(folder), use_safetensors=True
        )
    from day3.models import load_classifier

    base = PeftConfig.from_pretrained(str(folder)).base_model_name_or_path
    return PeftModel.from_pretrained(load_classifier(base, dict(enumerate(names))), str(folder))


def id2label_of(model) -> dict[int, str]:
    config = model.config if not hasattr(model, "get_base_model") else model.get_base_model().config
    return {int(k): v for k, v in config.id2label.items()}


def sorted_batches(
    tokenizer,
    texts: list[str],
    batch_size: int,
    max_length: int,
    device,
    sort_by_length: bool = True,
):
    """(indices, tokenized batch on `device`), longest texts first, so that each batch pads to
    similar lengths; callers write results back by index, in the caller's order."""
    if sort_by_length:
        order = np.argsort([len(t) for t in texts], kind="stable")[::-1]
    else:
        order = np.arange(len(texts))
    for start in range(0, len(texts), batch_size):
        idx = order[start : start + batch_size]
        batch = tokenizer(
            [texts[i] for i in idx],
            padding=True,
            truncation=True,
            max_length=max_length,
            return_tensors="pt",
        )
        yield idx, batch.to(device)


@torch.inference_mode()
def predict_logits(
    model,
    tokenizer,
    texts: list[str],
    batch_size: int = 64,
    max_length: int = 256,
    sort_by_length: bool = True,
    dtype: torch.dtype = torch.float32,
) -> np.ndarray:
    """Logits, shape (len(texts), num_labels), in input order."""
    model.eval()
    device = next(model.parameters()).device
    out = np.empty((len(texts), model.config.num_labels), dtype=np.float32)
    for idx, batch in sorted_batches(
        tokenizer, texts, batch_size, max_length, device, sort_by_length
    ):
        with torch.autocast(device.type, dtype=dtype, enabled=dtype != torch.float32):
            logits = model(**batch).logits
        out[idx] = logits.float().cpu().numpy()
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
