"""Data resolution and validation: the one place a `--data` value becomes a `datasets.Dataset`.

A value is a known name (`sst2`, `imdb`, `stsb`, `dialogsum`), `embedded` (the kit's own
movie-review sample), `auto`, or a file (csv, tsv, jsonl, parquet). A known name comes from the
local mirror ($DAY3_DATA_DIR/<name>/<split>.<ext>) first, then the Hub when online. `auto`
falls back to the embedded sample, so a first run always works offline.

Everything is validated *before* a model is built: a bad row costs the user a second, not the
minutes it takes to load weights. Errors name the file, the row and the fix.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from day3.core import checks
from day3.core.errors import UserError
from day3.core.flags import comma_list, option
from day3.data.files import Table, read_table
from day3.data.sources import KNOWN, SENTIMENT, embedded_file, load_known_split, resolve_source

_INT = re.compile(r"^[+-]?\d+(\.0*)?$")


def parse_label_map(text: str | None) -> dict[str, int] | None:
    """`neg=0,pos=1` -> {"neg": 0, "pos": 1} (the --label-map flag)."""
    if not text:
        return None
    pairs = [p.partition("=") for p in str(text).split(",") if p.strip()]
    try:
        return {k.strip(): int(v) for k, _, v in pairs}
    except ValueError:
        raise UserError(f"bad --label-map '{text}'; write it as neg=0,pos=1") from None


@dataclass
class DataSpec:
    """Where training data comes from and how to read it (the `--data` family of flags)."""

    data: str = option(
        "auto", help="sst2 | imdb | embedded | auto | FILE (csv, tsv, jsonl, parquet)"
    )
    validation_file: str | None = option(
        None, help="validation FILE; default: 10% of --data held out, stratified"
    )
    text_column: str | None = option(
        None, help="text column (default: sentence, or the known set's)"
    )
    label_column: str | None = option(None, help="label column (default: label)")
    label_names: tuple[str, ...] | None = option(
        None, help="class names in id order, e.g. negative,positive", parse=comma_list
    )
    label_map: dict[str, int] | None = option(
        None, help="map raw labels to ids, e.g. neg=0,pos=1", parse=parse_label_map
    )
    max_train_samples: int | None = option(None, help="train on the first N rows (shuffled)")
    max_eval_samples: int | None = option(None, help="evaluate on the first N rows")
    seed: int = 42  # the run's seed (set by the job): shuffling and the held-out split

    def __post_init__(self) -> None:
        for name in ("max_train_samples", "max_eval_samples"):
            if getattr(self, name) is not None:
                checks.count(name, getattr(self, name))
        checks.seed("seed", self.seed)
        if isinstance(self.label_names, str):  # a comma list, as typed
            self.label_names = comma_list(self.label_names) or None
        if isinstance(self.label_names, list):
            self.label_names = tuple(self.label_names)
        if self.label_names is not None and len(self.label_names) < 2:
            raise UserError("--label-names needs at least two classes, e.g. negative,positive")
        if self.label_map:
            ids = sorted(set(self.label_map.values()))
            if ids != list(range(len(ids))):
                raise UserError(
                    f"--label-map ids must be 0..K-1 (got {ids}); number the classes from 0, "
                    "e.g. neg=0,pos=1"
                )


@dataclass
class ClassificationData:
    train: object  # datasets.Dataset with columns text, label (ClassLabel)
    validation: object
    label_names: tuple[str, ...]
    source: str  # said to the user: where the rows came from

    @property
    def id2label(self) -> dict[int, str]:
        return dict(enumerate(self.label_names))


def load_classification(spec: DataSpec) -> ClassificationData:
    """Train/validation sets with columns text, label (ClassLabel), validated row by row."""
    from datasets import ClassLabel

    source = resolve_source(spec.data)
    known = KNOWN.get(source)
    text_col = spec.text_column or (known.text if known else "sentence")
    label_col = spec.label_column or (known.label if known else "label")
    names = spec.label_names or (known.label_names if known else None)
    if source == "embedded":
        train_t, val_t = read_table(embedded_file("train")), read_table(embedded_file("validation"))
        names, where = names or SENTIMENT, "embedded movie-review sample (written for the kit)"
    elif known:
        if known.label_names is None:
            raise UserError(f"'{source}' is not a classification data set; try --data sst2")
        (train_t, where), (val_t, _) = (
            load_known_split(source, "train"),
            load_known_split(source, "validation"),
        )
    else:
        train_t, where = read_table(source), f"file {source}"
        val_t = read_table(spec.validation_file) if spec.validation_file else None

    if spec.label_map and not spec.label_names:
        names = tuple(sorted(spec.label_map, key=spec.label_map.get))
    texts, labels, names = validate_classification(
        train_t, text_col, label_col, names, spec.label_map
    )
    train = to_dataset(texts, labels, names)
    if val_t is None:
        train, validation = _holdout(train, spec.seed)
    else:
        vt, vl, _ = validate_classification(val_t, text_col, label_col, names, spec.label_map)
        validation = to_dataset(vt, vl, names)
    if spec.max_train_samples and spec.max_train_samples < len(train):
        train = train.shuffle(seed=spec.seed).select(range(spec.max_train_samples))
    if spec.max_eval_samples and spec.max_eval_samples < len(validation):
        validation = validation.select(range(spec.max_eval_samples))
    assert isinstance(train.features["label"], ClassLabel)
    return ClassificationData(train, validation, tuple(names), where)


def validate_classification(
    table: Table,
    text_col: str,
    label_col: str,
    names: tuple[str, ...] | None,
    label_map: dict[str, int] | None = None,
    classes_fix: str = "fix the row, or declare the classes with --label-names",
):
    """(texts, label ids, class names) or a UserError naming the file, row and fix.
    `classes_fix` is the advice for a label outside `names` (a trained run's classes are fixed)."""
    ds, where = table.dataset, table.where
    if len(ds) == 0:
        raise UserError(f"{where} has no data rows; add rows with the text and label columns")
    for col, flag in ((text_col, "--text-column"), (label_col, "--label-column")):
        if col not in ds.column_names:
            raise UserError(
                f"{where}: no column '{col}' (columns: {', '.join(ds.column_names)}); "
                f"pass {flag} NAME"
            )
    texts = ds[text_col]
    for i, t in enumerate(texts):
        if t is None or (isinstance(t, float) and math.isnan(t)) or not str(t).strip():
            raise UserError(
                f"{where}: {table.row(i)} has an empty text in column '{text_col}'; "
                "fill or remove that row"
            )
    labels = [_label_id(v, i, table, label_col, label_map) for i, v in enumerate(ds[label_col])]
    if names is None:  # a user file with integer labels: classes are 0..max, all present
        present = sorted(set(labels))
        k = len(present)  # sorted distinct ids are 0..K-1 exactly when they end at K-1
        if k < 2 or present[0] != 0 or present[-1] != k - 1:
            bad = present[0] if present[0] < 0 else present[-1]
            raise UserError(
                f"{where}: label {bad} in {table.row(labels.index(bad))}: labels must be "
                f"0..K-1 with every class present (found {', '.join(map(str, present))}); "
                "fix the row, or declare the classes with --label-names"
            )
        names = tuple(f"LABEL_{i}" for i in range(k))
    for i, y in enumerate(labels):
        if not 0 <= y < len(names):
            raise UserError(
                f"{where}: label {y} in {table.row(i)} is outside 0..{len(names) - 1} "
                f"({len(names)} classes: {', '.join(names)}); {classes_fix}"
            )
    return [str(t) for t in texts], labels, tuple(names)


def _label_id(value, i: int, table: Table, col: str, label_map: dict[str, int] | None) -> int:
    if label_map is not None:
        key = str(value).strip() if value is not None else ""
        if key not in label_map:
            raise UserError(
                f"{table.where}: label '{key}' in {table.row(i)} is not in --label-map "
                f"(keys: {', '.join(label_map)}); add it or fix the row"
            )
        return label_map[key]
    if isinstance(value, bool) or value is None:
        pass
    elif isinstance(value, int):
        return value
    elif isinstance(value, float) and value.is_integer():
        return int(value)
    elif isinstance(value, str) and _INT.match(value.strip()):
        return int(value.strip().split(".")[0])  # exact: float() would round big ids
    shown = "empty" if value is None or str(value).strip() == "" else f"'{value}'"
    raise UserError(
        f"{table.where}: label {shown} in {table.row(i)} (column '{col}') is not an "
        "integer class id; map text labels with --label-map neg=0,pos=1"
    )


def to_dataset(texts: list[str], labels: list[int], names: tuple[str, ...]):
    from datasets import ClassLabel, Dataset, Features, Value

    features = Features({"text": Value("string"), "label": ClassLabel(names=list(names))})
    return Dataset.from_dict({"text": texts, "label": labels}, features=features)


def cast_to_class_label(ds, column: str, names: tuple[str, ...] | list[str]):
    """`ds.cast_column(column, ClassLabel(names))`, after checking every label is a class id.

    datasets' own cast accepts 7 or -1 for two classes without a word; the mistake surfaces
    much later (a device-side assert, a failing int2str). Raises UserError naming the row."""
    from datasets import ClassLabel

    if column not in ds.column_names:
        raise UserError(
            f"no column '{column}' (columns: {', '.join(ds.column_names)}); pass --label-column"
        )
    # Arrow, not ds[column]: one bulk conversion instead of a Python object per row.
    for i, y in enumerate(ds.with_format("arrow")[column].to_pylist()):
        if isinstance(y, bool) or not isinstance(y, int) or not 0 <= y < len(names):
            raise UserError(
                f"label {y!r} in row {i} (ds[{i}]['{column}']) is not a class id 0..{len(names) - 1}"
                f" ({', '.join(names)}); fix the row, or turn text labels into ids first "
                "(ds.class_encode_column)"
            )
    return ds.cast_column(column, ClassLabel(names=list(names)))


def _holdout(ds, seed: int, fraction: float = 0.1):
    if len(ds) < 10:
        raise UserError(
            f"only {len(ds)} rows: too few to hold out a validation set; pass --validation-file"
        )
    try:
        split = ds.train_test_split(test_size=fraction, seed=seed, stratify_by_column="label")
    except ValueError:  # a class too rare to stratify: plain random split
        split = ds.train_test_split(test_size=fraction, seed=seed)
    return split["train"], split["test"]


def load_labelled_file(
    path: str | Path,
    text_col: str,
    label_col: str,
    names: tuple[str, ...],
    label_map: dict[str, int] | None = None,
):
    """A (text, label) dataset from any supported file, checked against the classes of a
    trained model, which cannot change."""
    texts, labels, names = validate_classification(
        read_table(path),
        text_col,
        label_col,
        names,
        label_map,
        classes_fix="the run was trained on these classes: fix the row or map labels onto "
        "them with --label-map",
    )
    return to_dataset(texts, labels, names)
