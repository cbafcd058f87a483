"""Sentence pairs with a gold similarity (STS-B: 0..5), the ruler of the similarity probe:
from the known set `stsb` (mirror, else Hub) or a csv/tsv/jsonl file, every row checked
before any model loads."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from day3.core.errors import UserError

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
    """STS pairs from the known data set `stsb` (mirror, else Hub), the kit's `embedded` sample,
    `auto` (stsb where the mirror or the Hub has it, else embedded) or a csv/tsv/jsonl file
    with columns sentence1, sentence2, score (0..5). Every row is checked before any model loads."""
    from day3.data.files import read_table
    from day3.data.sources import embedded_file, load_known_split, resolve_source

    if max_pairs is not None and max_pairs < 2:
        raise UserError(
            f"--max-probe-pairs must be at least 2 (got {max_pairs}); a rank "
            "correlation needs two pairs"
        )
    data = resolve_source(data, known="stsb")
    if data == "stsb":
        table, source = load_known_split("stsb", split)
    elif data == "embedded":
        source = "embedded STS sample (written for the kit)"
        table = read_table(embedded_file("validation", "sts"))
    elif Path(data).expanduser().suffix:
        table, source = read_table(data), f"file {data}"
    else:
        raise UserError(
            f"unknown similarity data '{data}'; use auto, stsb, embedded or a csv/tsv/jsonl file with "
            f"columns {', '.join(STS_COLUMNS)}"
        )
    pairs = validate_pairs(table, source)
    return pairs.head(max_pairs)


def validate_pairs(table, source: str) -> SentencePairs:
    """SentencePairs from a `day3.data.classification.Table`, or a UserError naming the file, row and fix."""
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
