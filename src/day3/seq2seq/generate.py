"""Text generation with an encoder-decoder model: length-sorted batches, answers in input
order, explicit generation lengths (model defaults differ across checkpoints, and a silent
20-token cap truncates summaries), and decoding that survives -100 label padding.
"""

from __future__ import annotations

import numpy as np

from day3.core.errors import UserError
from day3.data.batching import sorted_batches


class Text2Text:
    """What `pipeline("text2text-generation")` was before transformers 5 removed it: text in,
    `[{"generated_text": ...}]` out, for encoder-decoder models such as T5 and the kit's
    mini-FLAN stand-in. By hand underneath: tokenizer → model.generate → decode. A model folder
    loads with `day3.models.loading.load_text2text`."""

    def __init__(self, model, tokenizer, max_new_tokens: int = 32):
        self.model, self.tokenizer, self.max_new_tokens = model, tokenizer, max_new_tokens

    def __call__(self, texts: str | list[str], batch_size: int = 32) -> list[dict]:
        single = isinstance(texts, str)
        outputs = generate(
            self.model,
            self.tokenizer,
            [texts] if single else list(texts),
            max_new_tokens=self.max_new_tokens,
            batch_size=batch_size,
        )
        return [{"generated_text": o} for o in outputs]


def generate(
    model,
    tokenizer,
    inputs: list[str],
    max_new_tokens: int = 32,
    batch_size: int = 64,
    num_beams: int = 1,
    max_source_length: int = 512,
) -> list[str]:
    """Greedy (or beam) decoding in length-sorted batches; outputs in input order."""
    if max_new_tokens < 1:
        raise UserError(f"max_new_tokens must be at least 1 (got {max_new_tokens})")
    import torch

    model.eval()
    device = next(model.parameters()).device
    outputs: list[str] = [""] * len(inputs)
    for idx, batch in sorted_batches(tokenizer, inputs, batch_size, max_source_length, device):
        with torch.inference_mode():
            generated = model.generate(
                **batch, max_new_tokens=max_new_tokens, num_beams=num_beams, do_sample=False
            )
        for i, text in zip(idx, decode(tokenizer, generated), strict=True):
            outputs[i] = text
    return outputs


def decode(tokenizer, ids) -> list[str]:
    """Decode ids that may hold -100 (masked labels): they become padding, never a crash."""
    ids = np.asarray(ids.cpu() if hasattr(ids, "cpu") else ids)
    ids = np.where(ids < 0, tokenizer.pad_token_id, ids)
    return [t.strip() for t in tokenizer.batch_decode(ids, skip_special_tokens=True)]
