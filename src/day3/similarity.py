"""Semantic similarity as a probe of what an encoder already knows (STS-B).

A sentence encoder is good at STS-B when the cosine of two sentence embeddings ranks pairs the
way people scored them (0 = unrelated, 5 = same meaning). Fine-tuning the encoder for something
else, e.g. sentiment, can quietly wreck that ranking: that loss is what `day3.forgetting`
measures, and this module supplies the ruler.

Embeddings are the attention-masked mean of the last hidden state, because that is how
all-MiniLM-L6-v2 was trained (its 1_Pooling/config.json); [CLS] or the BERT pooler would measure
a representation the model was never trained to make meaningful.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from day3.errors import UserError

STS_COLUMNS = ("sentence1", "sentence2", "score")
STS_MAX_SCORE = 5.0


@dataclass(frozen=True)
class SentencePairs:
    """Sentence pairs with a gold similarity score each (STS-B: 0..5)."""

    sentence1: list[str]
    sentence2: list[str]
    scores: list[float]
    source: str  # said to the user: where the pairs came from

    def __len__(self) -> int:
        return len(self.scores)

    def head(self, n: int | None) -> SentencePairs:
        """The first n pairs (all when n is None): the same pairs on every run, for comparisons."""
        if n is None or n >= len(self):
            return self
        return SentencePairs(self.sentence1[:n], self.sentence2[:n], self.scores[:n], self.source)


def load_sts(
    data: str = "stsb", split: str = "validation", max_pairs: int | None = None
) -> SentencePairs:
    """STS pairs from the known data set `stsb` (mirror, else Hub) or from a csv/tsv/jsonl file
    with columns sentence1, sentence2, score (0..5). Every row is checked before any model loads."""
    from day3.data import load_known_split, read_table

    if max_pairs is not None and max_pairs < 2:
        raise UserError(
            f"--max-probe-pairs must be at least 2 (got {max_pairs}); a rank "
            "correlation needs two pairs"
        )
    if data == "stsb":
        table, source = load_known_split("stsb", split)
    elif Path(data).expanduser().suffix:
        table, source = read_table(data), f"file {data}"
    else:
        raise UserError(
            f"unknown similarity data '{data}'; use stsb or a csv/tsv/jsonl file with "
            f"columns {', '.join(STS_COLUMNS)}"
        )
    pairs = validate_pairs(table, source)
    return pairs.head(max_pairs)


def validate_pairs(table, source: str) -> SentencePairs:
    """SentencePairs from a `day3.data.Table`, or a UserError naming the file, row and fix."""
    ds, where = table.dataset, table.where
    missing = [c for c in STS_COLUMNS if c not in ds.column_names]
    if missing:
        raise UserError(
            f"{where}: no column {', '.join(repr(c) for c in missing)} (columns: "
            f"{', '.join(ds.column_names)}); similarity data needs "
            f"{', '.join(STS_COLUMNS)}"
        )
    if len(ds) < 2:
        raise UserError(
            f"{where} has {len(ds)} sentence pair(s); a rank correlation needs at least 2"
        )
    first, second = ds["sentence1"], ds["sentence2"]
    for i in range(len(ds)):
        for col, text in (("sentence1", first[i]), ("sentence2", second[i])):
            if text is None or not str(text).strip():
                raise UserError(
                    f"{where}: {table.row(i)} has an empty '{col}'; fill or remove that row"
                )
    scores = [_score(v, i, table) for i, v in enumerate(ds["score"])]
    if len(set(scores)) == 1:
        raise UserError(
            f"{where}: every pair has the same score ({scores[0]:g}); a rank correlation needs "
            "pairs of different similarity: add or fix rows"
        )
    return SentencePairs([str(t) for t in first], [str(t) for t in second], scores, source)


def _score(value, i: int, table) -> float:
    # The tsv reader hands every column over as a string; the Hub hands over floats.
    try:
        score = float(str(value).strip()) if value is not None else math.nan
    except ValueError:
        score = math.nan
    if not 0.0 <= score <= STS_MAX_SCORE:  # also false for NaN
        shown = "empty" if value is None or str(value).strip() == "" else f"'{value}'"
        raise UserError(
            f"{table.where}: score {shown} in {table.row(i)} is not a number from 0 "
            f"to {STS_MAX_SCORE:g}; fix or remove that row"
        )
    return score


def encoder_of(model):
    """The bare encoder inside a model: itself, a *ForSequenceClassification's backbone, or a
    peft model's backbone *with its LoRA or IA3 layers in place* (peft injects them into the
    wrapped model's modules, so the encoder reached through get_base_model() runs them).
    Prompt tuning injects nothing: its virtual tokens are prepended in the PeftModel's own
    forward, so the encoder reached here is the unchanged pretrained one."""
    if hasattr(model, "get_base_model"):  # peft.PeftModel; its .base_model is the LoraModel
        model = model.get_base_model()
    return model.base_model  # transformers: the backbone (`bert`, `distilbert`), or itself


def encode(
    model, tokenizer, texts: list[str], batch_size: int = 64, max_length: int = 128
) -> np.ndarray:
    """Unit-length sentence embeddings, shape (len(texts), hidden), in input order."""
    import torch

    from day3.inference import sorted_batches

    encoder = encoder_of(model)
    was_training = model.training
    model.eval()  # dropout off: the same model must always give the same score
    device = next(encoder.parameters()).device
    out = np.empty((len(texts), encoder.config.hidden_size), dtype=np.float32)
    try:
        with torch.inference_mode():
            for idx, batch in sorted_batches(tokenizer, texts, batch_size, max_length, device):
                hidden = encoder(**batch).last_hidden_state.float()
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                out[idx] = torch.nn.functional.normalize(mean, dim=-1).cpu().numpy()
    finally:
        model.train(was_training)
    return out


def sts_spearman(
    encoder_model, tokenizer, pairs: SentencePairs, batch_size: int = 64, max_length: int = 128
) -> float:
    """Spearman correlation between embedding cosine and the gold scores (higher is better)."""
    from scipy.stats import spearmanr

    if len(pairs) < 2:
        raise UserError(
            f"{len(pairs)} sentence pair(s) from {pairs.source}; a rank correlation "
            "needs at least 2"
        )
    # Each distinct sentence is encoded once: STS-B repeats many of them across pairs.
    unique = list(dict.fromkeys(pairs.sentence1 + pairs.sentence2))
    where = {s: i for i, s in enumerate(unique)}
    emb = encode(encoder_model, tokenizer, unique, batch_size, max_length)
    a = emb[[where[s] for s in pairs.sentence1]]
    b = emb[[where[s] for s in pairs.sentence2]]
    cosine = (a * b).sum(axis=1)
    if len(set(pairs.scores)) == 1:
        raise UserError(
            f"{pairs.source}: every pair has the same score ({pairs.scores[0]:g}); a rank "
            "correlation needs pairs of different similarity: add or fix rows"
        )
    constant = bool(np.ptp(cosine) == 0)
    rho = math.nan if constant else float(spearmanr(cosine, pairs.scores).statistic)
    if math.isnan(rho):
        # Constant cosines (a collapsed encoder) rank nothing: there is no score to report, and
        # a 0.0 would look measured.
        raise UserError(
            f"the similarity probe on {pairs.source} is undefined: all {len(pairs)} pairs got the "
            f"same cosine ({cosine[0]:.4f}), so there is no ranking to correlate (the encoder "
            "maps every sentence alike); lower the learning rate, or check the model"
        )
    return rho
