"""The safe ClassLabel cast, and the Datasets lesson end to end on a mirror and on a user file."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from datasets import ClassLabel, Dataset

from day3.core.errors import UserError
from day3.data.classification import cast_to_class_label

ROOT = Path(__file__).resolve().parents[2]
LESSON = ROOT / "1_HuggingFace" / "datasets_library.py"
NAMES = ("negative", "positive")


def labelled(labels: list) -> Dataset:
    return Dataset.from_dict({"text": [f"review {i}" for i in range(len(labels))], "label": labels})


def test_plain_cast_column_accepts_out_of_range_labels():
    """The pitfall the safe cast exists for: if datasets ever checks, the lesson must say so."""
    cast = labelled([0, 1, 7]).cast_column("label", ClassLabel(names=list(NAMES)))
    assert list(cast["label"]) == [0, 1, 7]


def test_safe_cast_accepts_valid_ids():
    ds = cast_to_class_label(labelled([0, 1, 1, 0]), "label", NAMES)
    assert ds.features["label"] == ClassLabel(names=list(NAMES))
    assert list(ds["label"]) == [0, 1, 1, 0]


@pytest.mark.parametrize(
    "labels, bad, row",
    [
        ([0, 1, 7], "7", 2),  # out of range
        ([0, -1, 1], "-1", 1),  # negative
        ([1, 2, 0, 0], "2", 1),  # == number of classes
    ],
)
def test_safe_cast_refuses_ids_outside_the_classes(labels, bad, row):
    with pytest.raises(UserError) as e:
        cast_to_class_label(labelled(labels), "label", NAMES)
    message = str(e.value)
    assert f"label {bad} in row {row} " in message and "0..1" in message
    assert "negative, positive" in message


@pytest.mark.parametrize(
    "labels, shown",
    [(["neg", "pos"], "'neg'"), ([1.0, 0.0], "1.0"), ([0, None], "None"), ([True, False], "True")],
)
def test_safe_cast_refuses_non_integers(labels, shown):
    with pytest.raises(UserError, match=rf"label {shown} in row \d"):
        cast_to_class_label(labelled(labels), "label", NAMES)


def test_safe_cast_names_rows_in_the_datasets_own_order():
    ds = labelled([0, 1, 0, 5, 1]).select([3, 0, 1])  # an indices mapping, as after a shuffle
    with pytest.raises(UserError, match=r"label 5 in row 0 \(ds\[0\]"):
        cast_to_class_label(ds, "label", NAMES)


def test_safe_cast_needs_the_column():
    with pytest.raises(UserError, match="no column 'stars' .*columns: text, label"):
        cast_to_class_label(labelled([0, 1]), "stars", NAMES)


def run_lesson(tmp_path: Path, *argv: str, mirror: Path | None = None):
    env = {**os.environ, "DAY3_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf_home")}
    env.pop("DAY3_DATA_DIR", None)
    if mirror:
        env["DAY3_DATA_DIR"] = str(mirror)
    return subprocess.run(
        [sys.executable, str(LESSON), "--smoke", *argv],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_lesson_on_a_mirror_writes_only_under_output(tmp_path):
    rows = [("a wonderful warm film", 1), ("a dull lifeless slog", 0), ("ok", 1)] * 20
    (tmp_path / "mirror" / "sst2").mkdir(parents=True)
    for split in ("train", "validation"):
        lines = "".join(f"{t}\t{y}\n" for t, y in rows)
        (tmp_path / "mirror" / "sst2" / f"{split}.tsv").write_text("sentence\tlabel\n" + lines)
    result = run_lesson(tmp_path, "--output", "out", mirror=tmp_path / "mirror")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "/mirror/sst2/train.tsv" in result.stdout
    assert "rows 60 -> 40" in result.stdout  # the 2-word fragments are filtered out
    assert "the safe cast refuses it at once: label 7 in row 2" in result.stdout
    assert "IterableDataset" in result.stdout
    # everything it wrote is under --output: no HF cache, nothing else in the cwd
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mirror", "out"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "hf_cache",
        "parquet",
        "tokenized",
    ]
    from datasets import load_from_disk

    saved = load_from_disk(str(tmp_path / "out" / "tokenized"))
    assert sorted(saved) == ["test", "train", "validation"]
    assert saved["train"].features["label"].names == list(NAMES)
    assert len(saved["train"]) + len(saved["test"]) == 40
    assert (tmp_path / "out" / "parquet" / "train.parquet").stat().st_size > 0


@pytest.mark.slow
def test_lesson_on_a_user_file_with_text_labels(tmp_path):
    lines = ["review,stars"] + ["great fun all along,pos", "awful and boring stuff,neg"] * 10
    (tmp_path / "reviews.csv").write_text("\n".join(lines) + "\n")
    result = run_lesson(
        tmp_path, "--data", "reviews.csv", "--text-column", "review", "--label-column", "stars",
        "--output", "out",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert "ClassLabel(names=['neg', 'pos'])" in result.stdout


@pytest.mark.slow
def test_lesson_refuses_a_bad_label_with_one_line(tmp_path):
    lines = ["sentence\tlabel"] + ["a fine film indeed\t1", "a bad film indeed\t0"] * 6
    lines.insert(4, "a strange film indeed\t7")
    (tmp_path / "bad.tsv").write_text("\n".join(lines) + "\n")
    result = run_lesson(
        tmp_path, "--data", "bad.tsv", "--label-names", "neg,pos", "--output", "out"
    )
    errors = [ln for ln in result.stderr.splitlines() if ln.startswith("error:")]
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(errors) == 1 and "label 7 in row 3" in errors[0] and "bad.tsv" in errors[0]
