import json
from collections import Counter

import pytest
from datasets import ClassLabel

from day3.core.errors import UserError
from day3.data import sources
from day3.data.classification import DataSpec, load_classification
from tests.conftest import write_jsonl


def test_embedded_sample_is_large_balanced_and_varied():
    rows = [
        json.loads(line)
        for split in ("train", "validation")
        for line in sources.embedded_file(split).read_text().splitlines()
    ]
    assert len(rows) >= 400
    assert Counter(r["label"] for r in rows) == {0: len(rows) // 2, 1: len(rows) // 2}
    assert len({r["sentence"] for r in rows}) == len(rows)
    lengths = [len(r["sentence"].split()) for r in rows]
    assert min(lengths) <= 3 and max(lengths) >= 25
    negations = sum(
        any(w in r["sentence"].lower() for w in ("not ", "n't", "never", "no ")) for r in rows
    )
    assert negations >= 40


def test_auto_falls_back_to_embedded_offline_without_mirror():
    d = load_classification(DataSpec("auto"))
    assert "embedded" in d.source
    assert isinstance(d.train.features["label"], ClassLabel)
    assert d.label_names == ("negative", "positive")
    assert len(d.train) == 400 and len(d.validation) == 80


def test_known_name_offline_without_mirror_says_what_to_do():
    with pytest.raises(UserError, match="DAY3_DATA_DIR"):
        load_classification(DataSpec("sst2"))


def test_known_name_reads_the_mirror_layout(tmp_path, monkeypatch):
    (tmp_path / "sst2").mkdir()
    for split in ("train", "validation"):
        (tmp_path / "sst2" / f"{split}.tsv").write_text(
            "sentence\tlabel\n"
            + "".join(
                f'it is "{w}" .\t{i % 2}\n'
                for i, w in enumerate(["good", "bad", "null", "fine", "nan", "ok"])
            )
        )
    monkeypatch.setenv("DAY3_DATA_DIR", str(tmp_path))
    d = load_classification(DataSpec("auto"))
    assert "local mirror" in d.source
    assert d.train["text"][2] == 'it is "null" .'  # no NaN guessing, quotes kept as text


@pytest.mark.parametrize("fmt", ["csv", "tsv", "jsonl", "parquet"])
def test_every_file_format_loads(tmp_path, fmt):
    import pandas as pd

    df = pd.DataFrame(
        {
            "review": [f"text number {i}, with a comma" for i in range(20)],
            "y": [i % 2 for i in range(20)],
        }
    )
    path = tmp_path / f"d.{fmt}"
    if fmt == "csv":
        df.to_csv(path, index=False)
    elif fmt == "tsv":
        df.to_csv(path, index=False, sep="\t")
    elif fmt == "jsonl":
        df.to_json(path, orient="records", lines=True)
    else:
        df.to_parquet(path)
    d = load_classification(DataSpec(str(path), text_column="review", label_column="y"))
    assert len(d.train) + len(d.validation) == 20
    assert d.label_names == ("LABEL_0", "LABEL_1")
    assert sorted(d.validation["label"]) == [0, 1]  # stratified hold-out keeps both classes


def test_label_map_and_validation_file(sentiment_jsonl, tmp_path):
    train = write_jsonl(
        tmp_path / "t.jsonl",
        [{"sentence": f"s{i}", "label": "pos" if i % 2 else "neg"} for i in range(12)],
    )
    d = load_classification(
        DataSpec(str(train), validation_file=str(train), label_map={"neg": 0, "pos": 1})
    )
    assert d.label_names == ("neg", "pos")
    assert d.train["label"][:2] == [0, 1]


def test_sample_limits(sentiment_jsonl):
    train, val = sentiment_jsonl
    d = load_classification(
        DataSpec(str(train), validation_file=str(val), max_train_samples=5, max_eval_samples=3)
    )
    assert (len(d.train), len(d.validation)) == (5, 3)


def _rows(n=12, **override):
    rows = [{"sentence": f"sentence {i}", "label": i % 2} for i in range(n)]
    for i, patch in override.items():
        rows[int(i[1:])].update(patch)
    return rows


BAD = {
    "missing text column": (
        lambda p: write_jsonl(p, [{"text": "x", "label": 0}] * 12),
        "no column 'sentence'.*--text-column",
    ),
    "missing label column": (
        lambda p: write_jsonl(p, [{"sentence": "x", "stars": 0}] * 12),
        "no column 'label'.*--label-column",
    ),
    "empty file": (lambda p: p.write_bytes(b""), "is empty"),
    "whitespace file": (lambda p: p.write_text("\n \n"), "no content"),
    "label 5 with 2 classes": (
        lambda p: write_jsonl(p, _rows(r3={"label": 5})),
        "label 5 in line 4",
    ),
    "label -1": (lambda p: write_jsonl(p, _rows(r2={"label": -1})), "label -1 in line 3"),
    "string labels": (
        lambda p: write_jsonl(p, _rows(r0={"label": "pos"})),
        "label 'pos' in line 1.*--label-map",
    ),
    "empty text": (
        lambda p: write_jsonl(p, _rows(r4={"sentence": "  "})),
        "line 5 has an empty text",
    ),
    "null text": (lambda p: write_jsonl(p, _rows(r1={"sentence": None})), "line 2 has an empty"),
    "non utf-8": (
        lambda p: p.write_bytes(
            b'{"sentence": "ok", "label": 0}\n{"sentence": "caf\xe9", "label": 1}\n'
        ),
        "line 2 is not valid UTF-8",
    ),
    "malformed json line": (
        lambda p: p.write_text('{"sentence": "a", "label": 0}\n{"sentence": "b", "label": 1\n'),
        "line 2 is not valid JSON",
    ),
    "json array line": (lambda p: p.write_text("[1, 2]\n"), "line 1 is not a JSON object"),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_bad_input_gives_one_clear_line(tmp_path, case):
    make, pattern = BAD[case]
    path = tmp_path / "bad.jsonl"
    make(path)
    with pytest.raises(UserError, match=pattern) as info:
        load_classification(DataSpec(str(path)))
    assert "\n" not in str(info.value) and str(path) in str(info.value)


def test_csv_header_only_and_nan_text(tmp_path):
    header_only = tmp_path / "h.csv"
    header_only.write_text("sentence,label\n")
    with pytest.raises(UserError, match="header but no data rows"):
        load_classification(DataSpec(str(header_only)))
    blank = tmp_path / "b.csv"
    blank.write_text("sentence,label\ngood,1\n,0\n" + "fine,1\nbad,0\n" * 5)
    with pytest.raises(UserError, match=r"row 2 \(line 3\) has an empty text"):
        load_classification(DataSpec(str(blank)))


def test_validation_labels_must_match_training_classes(sentiment_jsonl, tmp_path):
    train, _ = sentiment_jsonl
    val = write_jsonl(
        tmp_path / "v.jsonl", [{"sentence": "x", "label": 0}, {"sentence": "y", "label": 2}]
    )
    with pytest.raises(UserError, match="label 2 in line 2 is outside 0..1"):
        load_classification(DataSpec(str(train), validation_file=str(val)))


def test_bad_spec_values():
    with pytest.raises(UserError, match="at least 1"):
        DataSpec(max_train_samples=0)
    with pytest.raises(UserError, match="0..K-1"):
        DataSpec(label_map={"a": 0, "b": 2})
    with pytest.raises(UserError, match="unsupported file type"):
        load_classification(DataSpec(__file__))
