"""Seq2seq metrics that ship their code (`evaluate.load` would fetch scripts from the Hub):
exact match by hand, ROUGE-1/2/L from `rouge-score`."""

from __future__ import annotations

import re


def normalize(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower())


def exact_match(predictions: list[str], references: list[str]) -> float:
    if not references:
        raise ValueError("exact match of nothing")
    hits = sum(normalize(p) == normalize(r) for p, r in zip(predictions, references, strict=True))
    return hits / len(references)


def rouge(predictions: list[str], references: list[str]) -> dict[str, float]:
    """ROUGE-1/2/L F-measure (x100), with stemming, as usually reported for summarisation."""
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    totals = {"rouge1": 0.0, "rouge2": 0.0, "rougeL": 0.0}
    for p, r in zip(predictions, references, strict=True):
        for key, score in scorer.score(r, p).items():
            totals[key] += score.fmeasure
    return {k: round(100 * v / max(1, len(references)), 2) for k, v in totals.items()}
