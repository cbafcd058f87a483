"""Tiny random models built from a config in seconds (2 layers): BERT and DistilBERT with
the embedded uncased tokenizer, T5 with the mini-FLAN word-level tokenizer. For smoke runs and
tests: they prove the plumbing, not accuracy."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from day3.core.env import cache_dir
from day3.models.loading import embedded_minilm_dir


def build_tiny_model(arch: str, folder: Path | None = None) -> Path:
    """A 2-layer random-init model built from a config: BERT and DistilBERT with the embedded
    uncased tokenizer, T5 with the mini-FLAN word-level tokenizer.

    Cached under the day3 cache; rebuilt deterministically (seed 0) when missing.
    """
    from transformers import AutoTokenizer, BertConfig, BertModel, DistilBertConfig, DistilBertModel

    folder = folder or cache_dir() / "models" / f"tiny-{arch}"
    if (folder / "model.safetensors").is_file():
        return folder
    import torch

    torch.manual_seed(0)
    if arch == "t5":
        from day3.miniflan.build import MiniFlanConfig, build_tokenizer, new_model

        tok = build_tokenizer()
        model = new_model(tok, MiniFlanConfig(d_model=32, d_ff=64, num_layers=2, num_heads=2))
    else:
        tok = AutoTokenizer.from_pretrained(str(embedded_minilm_dir()), trust_remote_code=False)
    if arch == "bert":
        model = BertModel(
            BertConfig(
                vocab_size=tok.vocab_size,
                hidden_size=32,
                num_hidden_layers=2,
                num_attention_heads=2,
                intermediate_size=64,
                max_position_embeddings=128,
            )
        )
    elif arch == "distilbert":
        model = DistilBertModel(
            DistilBertConfig(
                vocab_size=tok.vocab_size,
                dim=32,
                n_layers=2,
                n_heads=2,
                hidden_dim=64,
                max_position_embeddings=128,
            )
        )
    elif arch != "t5":
        raise ValueError(f"no tiny model for {arch}")
    tmp = folder.with_name(folder.name + f".tmp{os.getpid()}")
    model.save_pretrained(tmp, safe_serialization=True)
    tok.save_pretrained(tmp)
    try:
        tmp.rename(folder)
    except OSError:  # another process finished first: keep its copy
        shutil.rmtree(tmp, ignore_errors=True)
    return folder
