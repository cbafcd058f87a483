"""Before training anything: how far does the pretrained encoder get on its own?

Two baselines that train no weight, scored on the same validation set as the fine-tuned runs:

- zero-shot: embed each review and a description of each class ("a positive review", "a
  negative review") with the sentence encoder, and pick the class whose description is
  closest (cosine). No labelled example at all: prompting, for an encoder.
- few-shot: embed k labelled examples, average them per class (the class centroid) and pick
  the nearest centroid: retrieval over k examples, still no gradient step. Drawn several
  times with different seeds, because which k examples you happen to have matters.

Embeddings are the mean-pooled last hidden state (day3.classifier.similarity.encode): what
all-MiniLM was trained to produce. When these already reach the accuracy you need, do not
train: the decision guide (day3.training.guide) starts here.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

import numpy as np

from day3.classifier.similarity import encode
from day3.core import checks
from day3.core.errors import UserError

# Class descriptions for the zero-shot baseline, by class name; a class not here is described
# by a template on its name.
DESCRIPTIONS = {
    "negative": "a negative review: the film was bad, boring and disappointing",
    "positive": "a positive review: the film was good, moving and enjoyable",
}
TEMPLATE = "a review that is {}"


@dataclass
class BaselineResult:
    """One no-training method's score: what it needs and what it reached."""

    method: str  # "zero-shot" | "few-shot k=8" ...
    accuracy: float  # mean over draws
    accuracy_range: tuple[float, float]  # (min, max) over draws
    labelled_examples: int  # how many labels it used (0 for zero-shot)
    seconds: float  # wall time, encoding included
    trainable_params: int = 0  # nothing is trained


def describe(names: tuple[str, ...]) -> list[str]:
    return [DESCRIPTIONS.get(n, TEMPLATE.format(n)) for n in names]


def zero_shot(model, tokenizer, texts: list[str], labels, names, max_length=128) -> BaselineResult:
    """Each text gets the class whose description its embedding is closest to."""
    start = time.perf_counter()
    docs = encode(model, tokenizer, list(texts), max_length=max_length)
    classes = encode(model, tokenizer, describe(tuple(names)), max_length=max_length)
    predicted = (docs @ classes.T).argmax(axis=1)
    accuracy = float(np.mean(predicted == np.asarray(labels)))
    seconds = time.perf_counter() - start
    return BaselineResult("zero-shot", accuracy, (accuracy, accuracy), 0, round(seconds, 2))


def centroid_predict(train_emb: np.ndarray, train_labels, test_emb: np.ndarray, k_classes: int):
    """Nearest class centroid (cosine of unit vectors): the label of each test embedding."""
    centroids = np.stack(
        [train_emb[np.asarray(train_labels) == c].mean(axis=0) for c in range(k_classes)]
    )
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    return (test_emb @ centroids.T).argmax(axis=1)


def balanced_draw(labels, k: int, k_classes: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of k examples, k // classes of each class (at least one each)."""
    labels = np.asarray(labels)
    per = max(1, k // k_classes)
    picks = []
    for c in range(k_classes):
        pool = np.flatnonzero(labels == c)
        if len(pool) < per:
            raise UserError(
                f"few-shot k={k} needs {per} examples of class {c}, the data has {len(pool)}; "
                "use a smaller k or more data"
            )
        picks.append(rng.choice(pool, size=per, replace=False))
    return np.concatenate(picks)


def few_shot(
    model,
    tokenizer,
    train_texts: list[str],
    train_labels,
    texts: list[str],
    labels,
    k_classes: int,
    ks: tuple[int, ...] = (8, 32, 128),
    draws: int = 5,
    seed: int = 0,
    max_length: int = 128,
) -> list[BaselineResult]:
    """Nearest-centroid accuracy with k labelled examples, for each k, over `draws` draws.
    Only the drawn examples are embedded (not the whole training set: SST-2 has 67k rows),
    and the validation texts once."""
    for k in ks:
        checks.count("k", k, low=k_classes)
    checks.count("draws", draws)
    rng = np.random.default_rng(seed)
    plan = {k: [balanced_draw(train_labels, k, k_classes, rng) for _ in range(draws)] for k in ks}
    start = time.perf_counter()
    test = encode(model, tokenizer, list(texts), max_length=max_length)
    shared = time.perf_counter() - start
    train_labels = np.asarray(train_labels)
    results = []
    for k, picks in plan.items():
        start = time.perf_counter()
        used = sorted({int(i) for idx in picks for i in idx})
        emb = dict(zip(used, encode(model, tokenizer, [train_texts[i] for i in used],
                                    max_length=max_length), strict=True))  # fmt: skip
        scores = []
        for idx in picks:
            examples = np.stack([emb[int(i)] for i in idx])
            predicted = centroid_predict(examples, train_labels[idx], test, k_classes)
            scores.append(float(np.mean(predicted == np.asarray(labels))))
        seconds = shared + time.perf_counter() - start
        span = (min(scores), max(scores))
        results.append(
            BaselineResult(f"few-shot k={k}", statistics.mean(scores), span, len(picks[0]),
                           round(seconds, 2))
        )  # fmt: skip
    return results
