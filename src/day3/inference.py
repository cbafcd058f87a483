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
        return AutoPeftModelForSequenceClassification.from_pretrained(
            str(folder), use_safetensors=True, trust_remote_code=False
        )
    from day3.models import load_classifier, resolve_model

    base = PeftConfig.from_pretrained(str(folder)).base_model_name_or_path
    base_path = resolve_model(base, purpose="classifier").path
    return PeftModel.from_pretrained(
        load_classifier(base_path, dict(enumerate(names))), str(folder)
    )


def load_texts(data: str = "sst2", text_column: str | None = None) -> tuple[list[str], str]:
    """Texts to label or time: a known set's validation split (mirror or Hub), the embedded
    reviews, a .txt file (one per line) or a csv/tsv/jsonl/parquet file's text column.
    Returns (texts, where they came from)."""
    from day3.data import KNOWN, embedded_file, load_known_split, read_table, read_utf8

    if Path(data).suffix == ".txt":  # one text per line, the simplest thing to hand over
        lines = read_utf8(Path(data)).splitlines() if Path(data).is_file() else None
        if lines is None:
            raise UserError(f"text file {data} does not exist; check the path")
        return [t.strip() for t in lines if t.strip()], f"file {data}"
    if data in KNOWN:
        table, source = load_known_split(data, "validation")
        column = text_column or KNOWN[data].text
    elif data == "embedded":
        tables = [read_table(embedded_file(s)) for s in ("train", "validation")]
        texts = [t for table in tables for t in table.dataset["sentence"]]
        return texts, "embedded reviews (train + validation)"
    else:
        table, source, column = read_table(data), f"file {data}", text_column or "sentence"
    if column not in table.dataset.column_names:
        raise UserError(
            f"{table.where} has no column '{column}' (it has {table.dataset.column_names}); "
            "pass --text-column"
        )
    texts = [str(t) for t in table.dataset[column] if t is not None and str(t).strip()]
    if not texts:
        raise UserError(f"{table.where} has no text in column '{column}'")
    return texts, source


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
    similar lengths; callers write results back by index, in the caller's order.

    One tokenizer call for all texts (the Rust tokenizer is fastest on one big list), then the
    order by true token count, and each batch padded only to its own longest text."""
    enc = tokenizer(list(texts), truncation=True, max_length=max_length)
    ids = enc["input_ids"]
    if sort_by_length:
        order = np.argsort([len(x) for x in ids], kind="stable")[::-1]
    else:
        order = np.arange(len(texts))
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    left = getattr(tokenizer, "padding_side", "right") == "left"
    for start in range(0, len(texts), batch_size):
        idx = order[start : start + batch_size]
        width = max(len(ids[i]) for i in idx)
        batch = {}
        for key, rows in enc.items():
            block = np.full((len(idx), width), pad_id if key == "input_ids" else 0, np.int64)
            for r, i in enumerate(idx):
                seq = rows[i]
                if left:
                    block[r, width - len(seq) :] = seq
                else:
                    block[r, : len(seq)] = seq
            batch[key] = torch.from_numpy(block).to(device)
        yield idx, batch


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
    """Logits, shape (len(texts), num_labels), in input order. In eval mode (dropout off),
    whatever mode the model came in; it leaves in the mode it came in."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    out = np.empty((len(texts), model.config.num_labels), dtype=np.float32)
    try:
        for idx, batch in sorted_batches(
            tokenizer, texts, batch_size, max_length, device, sort_by_length
        ):
            with torch.autocast(device.type, dtype=dtype, enabled=dtype != torch.float32):
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


class Text2Text:
    """What `pipeline("text2text-generation")` was before transformers 5 removed it: text in,
    `[{"generated_text": ...}]` out, for encoder-decoder models such as T5 and the kit's
    mini-FLAN stand-in. By hand underneath: tokenizer → model.generate → decode."""

    def __init__(self, folder: str | Path, max_new_tokens: int = 32, device: str = "cpu"):
        from transformers import AutoModelForSeq2SeqLM

        folder = Path(folder)
        check_model_folder(folder)
        self.tokenizer = load_tokenizer(str(folder))
        self.model = AutoModelForSeq2SeqLM.from_pretrained(
            str(folder), use_safetensors=True, trust_remote_code=False
        ).to(device)
        self.max_new_tokens = max_new_tokens

    def __call__(self, texts: str | list[str], batch_size: int = 32) -> list[dict]:
        from day3.seq2seq import generate

        single = isinstance(texts, str)
        outputs = generate(
            self.model,
            self.tokenizer,
            [texts] if single else list(texts),
            max_new_tokens=self.max_new_tokens,
            batch_size=batch_size,
        )
        return [{"generated_text": o} for o in outputs]
