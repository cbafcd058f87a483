"""Semantic similarity as a probe of what an encoder already knows (STS-B).

A sentence encoder is good at STS-B when the cosine of two sentence embeddings ranks pairs the
way people scored them (0 = unrelated, 5 = same meaning). Fine-tuning the encoder for something
else, e.g. sentiment, can quietly wreck that ranking: that loss is what `day3.forgetting.report`
measures, and this module supplies the ruler.

Embeddings are the attention-masked mean of the last hidden state, because that is how
all-MiniLM-L6-v2 was trained (its 1_Pooling/config.json); [CLS] or the BERT pooler would measure
a representation the model was never trained to make meaningful.
"""

from __future__ import annotations

import math

import numpy as np

from day3.core.errors import UserError
from day3.data.pairs import SentencePairs


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

    from day3.data.batching import sorted_batches

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
