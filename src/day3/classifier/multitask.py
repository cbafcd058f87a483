"""Multi-task fine-tuning: learn sentiment while practising the encoder's first task.

all-MiniLM was trained to embed sentences so that similar meanings have a high cosine. Single-task
fine-tuning (sentiment only) is free to bend the shared encoder away from that; multi-task
fine-tuning adds the old task as a second objective, so every step pays for both:

    loss = cross-entropy(sentiment batch) + weight * MSE(cos(a, b), score / 5) on an STS batch

The second term is sentence-transformers' CosineSimilarityLoss on the same mean-pooled
embeddings the STS probe scores (day3.classifier.similarity). One STS batch, of the sentiment batch's size,
is drawn per step, cycling through the auxiliary pairs in a seeded order.

No leakage: the STS pairs are split once by a fixed rule (`split_sts`): the even-indexed pairs
are the probe that scores every strategy; the odd-indexed pairs train the auxiliary objective,
minus any pair that shares a sentence with the probe half.

The training loop is `day3.classifier.train.fine_tune`, unchanged: the Trainer trains a thin wrapper
whose forward adds the second loss, then the plain classifier is put back.
"""

from __future__ import annotations

import inspect

import torch

from day3.classifier.similarity import encoder_of
from day3.core import checks
from day3.core.errors import UserError
from day3.data.pairs import STS_MAX_SCORE, SentencePairs

DEFAULT_WEIGHT = 1.0


def split_sts(pairs: SentencePairs) -> tuple[SentencePairs, SentencePairs]:
    """(probe, auxiliary): the even-indexed pairs, and the odd-indexed pairs that share no
    sentence with them. STS-B reuses sentences across pairs; training on a probe sentence would
    let the multi-task row score itself on text it has already fitted."""
    probe = _take(pairs, range(0, len(pairs), 2), f"{pairs.source} (even pairs: probe)")
    seen = set(probe.sentence1) | set(probe.sentence2)
    odd = [
        i
        for i in range(1, len(pairs), 2)
        if pairs.sentence1[i] not in seen and pairs.sentence2[i] not in seen
    ]
    auxiliary = _take(pairs, odd, f"{pairs.source} (odd pairs: auxiliary training)")
    if len(probe) < 2 or len(auxiliary) < 2:
        raise UserError(
            f"{pairs.source}: its {len(pairs)} sentence pairs split into {len(probe)} to probe "
            f"and {len(auxiliary)} to train on (odd pairs sharing no sentence with the probe); "
            "give more pairs, at least 2 on each side"
        )
    return probe, auxiliary


def _take(pairs: SentencePairs, idx, source: str) -> SentencePairs:
    idx = list(idx)
    return SentencePairs(
        [pairs.sentence1[i] for i in idx],
        [pairs.sentence2[i] for i in idx],
        [pairs.scores[i] for i in idx],
        source,
    )


class MultiTaskModel(torch.nn.Module):
    """A classifier whose training forward also pays the similarity loss on the shared encoder.
    Evaluation (no labels, or eval mode) is the classifier alone."""

    def __init__(
        self,
        classifier,
        tokenizer,
        pairs: SentencePairs,
        batch_size: int,
        max_length: int = 128,
        weight: float = DEFAULT_WEIGHT,
        seed: int = 42,
    ) -> None:
        super().__init__()
        checks.at_least("similarity_weight", weight, 0)
        self.classifier = classifier
        self.config = classifier.config  # the Trainer reads it
        self.tokenizer, self.pairs = tokenizer, pairs
        self.batch_size, self.max_length, self.weight = batch_size, max_length, weight
        self.generator = torch.Generator().manual_seed(seed)
        self.order: list[int] = []
        self.history: list[tuple[float, float]] = []  # (sentiment, similarity) per step
        # DistilBERT takes no token_type_ids; the Trainer drops what forward() does not name.
        self.takes_token_types = (
            "token_type_ids" in inspect.signature(classifier.forward).parameters
        )

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, labels=None):
        extra = {"token_type_ids": token_type_ids} if self.takes_token_types else {}
        out = self.classifier(
            input_ids=input_ids, attention_mask=attention_mask, labels=labels, **extra
        )
        if self.training and labels is not None:
            similarity = self.similarity_loss(input_ids.device)
            self.history.append((out.loss.item(), similarity.item()))
            out.loss = out.loss + self.weight * similarity
        return out

    def next_batch(self) -> list[int]:
        """The next auxiliary pairs, reshuffled (seeded) after each pass."""
        if len(self.order) < self.batch_size:
            perm = torch.randperm(len(self.pairs), generator=self.generator).tolist()
            self.order += perm
        batch, self.order = self.order[: self.batch_size], self.order[self.batch_size :]
        return batch

    def similarity_loss(self, device) -> torch.Tensor:
        """CosineSimilarityLoss: MSE between the embeddings' cosine and the gold score / 5."""
        idx = self.next_batch()
        a = self.embed([self.pairs.sentence1[i] for i in idx], device)
        b = self.embed([self.pairs.sentence2[i] for i in idx], device)
        gold = torch.tensor([self.pairs.scores[i] / STS_MAX_SCORE for i in idx], device=device)
        cosine = torch.nn.functional.cosine_similarity(a, b, dim=-1)
        return torch.nn.functional.mse_loss(cosine.float(), gold)

    def embed(self, texts: list[str], device) -> torch.Tensor:
        # The pooling day3.classifier.similarity.encode uses (and all-MiniLM was trained with), with grads.
        batch = self.tokenizer(
            texts, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt"
        ).to(device)
        hidden = encoder_of(self.classifier)(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)


def fine_tune_multitask(prep, pairs: SentencePairs, weight: float = DEFAULT_WEIGHT) -> dict:
    """`day3.classifier.train.fine_tune` with the similarity objective added; `prep.model` is the plain
    classifier again afterwards. Returns fine_tune's measurements plus each objective's loss."""
    from day3.classifier.train import fine_tune

    job = prep.job
    if job.strategy.name != "full":
        raise UserError(
            f"multi-task training shares the whole encoder; use it with the full strategy "
            f"(got {job.strategy.label})"
        )
    wrapper = MultiTaskModel(
        prep.model,
        prep.tokenizer,
        pairs,
        job.training.per_device_train_batch_size,
        job.max_length,
        weight,
        job.seed,
    )
    prep.model = wrapper
    try:
        measured = fine_tune(prep)
    finally:
        prep.model = wrapper.classifier
    return {**measured, **loss_summary(wrapper.history), "similarity_weight": weight}


def loss_summary(history: list[tuple[float, float]]) -> dict:
    """Each objective's mean loss over the first and the last tenth of the steps."""
    if not history:
        return {}
    k = max(1, len(history) // 10)
    first, last = history[:k], history[-k:]

    def mean(rows, j):
        return round(sum(r[j] for r in rows) / len(rows), 6)

    return {
        "loss_sentiment_first": mean(first, 0),
        "loss_sentiment_last": mean(last, 0),
        "loss_similarity_first": mean(first, 1),
        "loss_similarity_last": mean(last, 1),
    }
