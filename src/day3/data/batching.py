"""Length-sorted batches, shared by classification, sentence embeddings and generation:
one tokenizer call for all texts, the order by true token count, and each batch padded only
to its own longest text (padding costs compute and buys nothing). Results are written back
by index, so callers get them in their own order."""

from __future__ import annotations

import numpy as np


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
    import torch

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
