"""Every verb through `day3.cli.main`, as a user would call it: exit codes, stdout, stderr."""

import json

import pytest

from day3.cli.main import main
from tests.conftest import write_jsonl


def run(capsys, *argv):
    capsys.readouterr()  # drop what fixtures printed
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_user_error(code, err, pattern):
    import re

    lines = [ln for ln in err.strip().splitlines() if ln.startswith("error:")]
    assert code == 2, err
    assert len(lines) == 1 and re.search(pattern, lines[0]), err
    assert "Traceback" not in err


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory, tiny_bert):
    """A tiny BERT trained until it has learned the 12 sentences (~2 s): its labels are known."""
    from tests.conftest import sentiment_rows

    root = tmp_path_factory.mktemp("runs")
    train = write_jsonl(root / "train.jsonl", sentiment_rows() * 3)
    val = write_jsonl(root / "validation.jsonl", sentiment_rows())
    out = root / "run"
    code = main(
        [
            "finetune-classifier",
            "--model",
            str(tiny_bert),
            "--data",
            str(train),
            "--validation-file",
            str(val),
            "--output",
            str(out),
            "--epochs",
            "20",
            "--lr",
            "3e-3",
            "--batch-size",
            "8",
            "--label-names",
            "negative,positive",
        ]
    )
    assert code == 0
    return out


BAD_FILES = {
    "missing column": ([{"text": "x", "label": 0}] * 12, "no column 'sentence'"),
    "out of range label": (
        [{"sentence": "x", "label": i % 2} for i in range(11)] + [{"sentence": "y", "label": 5}],
        "label 5 in line 12",
    ),
    "string label": ([{"sentence": "x", "label": "pos"}] * 12, "label 'pos' in line 1"),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_finetune_bad_file_exits_2_and_writes_nothing(capsys, tmp_path, tiny_bert, case):
    rows, pattern = BAD_FILES[case]
    data = write_jsonl(tmp_path / "d.jsonl", rows)
    out = tmp_path / "run"
    code, _, err = run(
        capsys, "finetune-classifier", "--model", tiny_bert, "--data", data, "--output", out
    )
    assert_user_error(code, err, pattern)
    assert not out.exists() and not (tmp_path / "run.partial").exists()


@pytest.mark.parametrize(
    "argv,pattern",
    [
        (["--model", "distilbert"], "not available offline.*--model minilm"),
        (["--model", "no/such-model"], "--model minilm"),
        (["--strategy", "adapterz"], "unknown strategy"),
        (["--strategy", "lora:0"], "positive integer"),
        (["--epochs", "-1"], "--epochs must be positive"),
        (["--batch-size", "0"], "--batch-size"),
        (["--data", "missing.csv"], "does not exist"),
        (["--data", "sst2"], "DAY3_DATA_DIR"),
    ],
)
def test_finetune_bad_flags(capsys, tmp_path, argv, pattern):
    code, _, err = run(capsys, "finetune-classifier", "--output", tmp_path / "run", *argv)
    assert_user_error(code, err, pattern)
    assert not (tmp_path / "run").exists()


def test_existing_output_needs_overwrite(capsys, tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "x").write_text("x")
    code, _, err = run(
        capsys, "finetune-classifier", "--model", "tiny-bert", "--output", tmp_path / "run"
    )
    assert_user_error(code, err, "--overwrite")


@pytest.mark.slow
def test_eval_classifier_matches_the_runs_own_evaluation(
    capsys, trained_run, sentiment_jsonl, tmp_path
):
    own = json.loads((trained_run / "metrics.json").read_text())["validation"]
    _, val = sentiment_jsonl
    rows = [json.loads(line) for line in val.read_text().splitlines()]
    tsv = tmp_path / "v.tsv"
    tsv.write_text("review\tstars\n" + "".join(f"{r['sentence']}\t{r['label']}\n" for r in rows))
    code, out, _ = run(
        capsys,
        "eval-classifier",
        trained_run,
        tsv,
        "--text-column",
        "review",
        "--label-column",
        "stars",
    )
    assert code == 0
    got = json.loads(out)
    assert got == {"accuracy": own["accuracy"], "f1": own["f1"], "n": own["n"]}


@pytest.mark.slow
def test_predict_prints_label_and_probability(capsys, trained_run):
    code, out, _ = run(capsys, "predict", trained_run, "a wonderful film", "a dull mess")
    assert code == 0
    lines = [line.split("\t") for line in out.strip().splitlines()]
    # Sentences the run has learned: their labels are known, and it is sure of them.
    assert [(label, text) for label, _, text in lines] == [
        ("positive", "a wonderful film"),
        ("negative", "a dull mess"),
    ]
    assert all(float(prob) > 0.9 for _, prob, _ in lines)


def test_predict_from_files(capsys, trained_run, tmp_path):
    txt = tmp_path / "texts.txt"
    txt.write_text("a wonderful film\n\n  a dull mess  \n", encoding="utf-8")
    jsonl = write_jsonl(tmp_path / "texts.jsonl", [{"review": "i loved it"}])
    code, out, err = run(capsys, "predict", trained_run, "brilliant fun", "--file", txt)
    assert code == 0, err
    assert [ln.split("\t")[2] for ln in out.strip().splitlines()] == [
        "brilliant fun",
        "a wonderful film",
        "a dull mess",
    ]
    code, out, err = run(capsys, "predict", trained_run, "--file", jsonl, "--text-column", "review")
    assert code == 0 and out.strip().endswith("\ti loved it"), err


@pytest.mark.parametrize(
    "argv,pattern",
    [
        ([], "no text to classify"),
        (["--file", "nope.txt"], "nope.txt does not exist"),
        (["x", "--batch-size", "0"], "--batch-size must be at least 1"),
    ],
)
def test_predict_bad_input(capsys, trained_run, argv, pattern):
    code, out, err = run(capsys, "predict", trained_run, *argv)
    assert_user_error(code, err, pattern)
    assert out == ""


@pytest.mark.parametrize(
    "make,pattern",
    [
        (lambda p: p.write_bytes(b""), "is empty"),
        (lambda p: p.write_bytes(b"sentence\tlabel\n\xff\xfe\t1\n"), "line 2 is not valid UTF-8"),
        (lambda p: p.write_text("sentence\tlabel\n"), "header but no data rows"),
        (lambda p: p.write_text("sentence\tlabel\ngood\t7\n"), "label 7 in row 1"),
    ],
)
def test_eval_classifier_bad_files(capsys, trained_run, tmp_path, make, pattern):
    path = tmp_path / "bad.tsv"
    make(path)
    code, out, err = run(capsys, "eval-classifier", trained_run, path)
    assert_user_error(code, err, pattern)
    assert out == ""


def test_eval_and_predict_on_missing_run(capsys, tmp_path):
    code, _, err = run(capsys, "predict", tmp_path / "nope", "hello")
    assert_user_error(code, err, "does not exist")
    (tmp_path / "empty").mkdir()
    code, _, err = run(capsys, "eval-classifier", tmp_path / "empty", __file__)
    assert_user_error(code, err, "not a model folder")


def _verbs(parser, path=()):
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _verbs(sub, (*path, name))
    if path:
        yield path


def test_every_verb_prints_its_help(capsys):
    """`--help` of each verb prints (a `%` in a help text once crashed argparse's formatter),
    with each percent sign shown once."""
    from day3.cli.main import build_parser

    verbs = list(_verbs(build_parser()))
    assert ("bench-training",) in verbs and ("forgetting", "encoder") in verbs
    assert len(verbs) >= 15
    for verb in verbs:
        code, out, _ = run(capsys, *verb, "--help")
        assert code == 0 and out.startswith("usage: day3 " + " ".join(verb)), verb
        assert "%%" not in out, verb
    out = " ".join(run(capsys, "bench-training", "--help")[1].split())
    assert "(for the time to 85%) (default: 20)" in out
    assert "default: 10% of --data held out" in out
