"""Probes: named measurements of what a model could already do (higher is better), scored
before and after fine-tuning. The STS probe is the encoders' one: Spearman of embedding cosine
against STS-B's human scores."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from day3.classifier.similarity import sts_spearman
from day3.data.pairs import SentencePairs, load_sts
from day3.data.sources import resolve_source


@dataclass(frozen=True)
class Probe:
    """A named measurement of existing ability: `score(model, tokenizer)`, higher is better.
    It must be deterministic (eval mode, fixed data) so that an unchanged model scores the same."""

    name: str
    score: Callable[[object, object], float]

    def __call__(self, model, tokenizer) -> float:
        return float(self.score(model, tokenizer))


def score_probes(probes: Sequence[Probe], model, tokenizer) -> dict[str, float]:
    """{probe name: score}, in the order given."""
    names = [p.name for p in probes]
    if len(set(names)) != len(names):
        raise ValueError(f"probe names must be unique (got {names})")
    return {p.name: p(model, tokenizer) for p in probes}


def sts_probe(
    data: str = "auto", max_pairs: int | None = None, max_length: int = 128
) -> tuple[Probe, SentencePairs]:
    """The STS probe (Spearman, higher is better) and the pairs it scores, loaded and checked."""
    pairs = load_sts(data, "validation", max_pairs)
    kind = resolve_source(data, known="stsb")
    name = {"stsb": "stsb", "embedded": "sts-embedded"}.get(kind, Path(data).stem)
    return Probe(name, lambda m, t: sts_spearman(m, t, pairs, max_length=max_length)), pairs
