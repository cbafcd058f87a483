"""Throughput: four methods on one model, a report on disk, and the text2text stand-in API."""

import json

import pytest

from day3.classifier.throughput import measure_throughput, run_throughput, table_markdown
from day3.data.texts import load_texts
from day3.models.loading import load_classifier, load_text2text, load_tokenizer
from day3.models.tiny import build_tiny_model
from tests.cli.test_cli import assert_user_error, run

TEXTS = [f"review number {i} " + "very " * (i % 7) + "good" for i in range(40)]


@pytest.fixture(scope="module")
def tiny_classifier(tiny_bert):
    return load_classifier(str(tiny_bert), {0: "negative", 1: "positive"}), load_tokenizer(
        str(tiny_bert)
    )


@pytest.fixture(scope="module")
def near_ties(tiny_bert):
    """A classifier whose two logits nearly tie on every text: bf16's rounding flips some of
    its labels, so the agreement column has something to measure."""
    import numpy as np
    import torch

    model = load_classifier(str(tiny_bert), {0: "negative", 1: "positive"})
    from day3.classifier.predict import predict_logits

    tok = load_tokenizer(str(tiny_bert))
    logits = predict_logits(model.eval(), tok, TEXTS, 8, 128)
    margin = logits[:, 1] - logits[:, 0]
    with torch.no_grad():  # centre the margins on 0: half the texts each way, by a hair
        model.classifier.bias[1] -= float(np.median(margin))
    return model, tok


@pytest.mark.parametrize("bf16", [False, True])
def test_four_methods_agree_and_are_timed(near_ties, bf16):
    model, tok = near_ties
    rows = measure_throughput(
        model, tok, TEXTS, batch_size=8, repeats=2, naive_samples=5, bf16=bf16
    )
    assert [r.method for r in rows][:3] == [
        "naive pipeline, one at a time",
        "pipeline, batched",
        "length-sorted batches",
    ]
    assert len(rows) == (4 if bf16 else 3)
    assert rows[0].sentences == 5 and rows[1].sentences == len(TEXTS)
    assert rows[0].speedup == 1.0
    for r in rows:
        assert r.seconds > 0 and r.sentences_per_second == pytest.approx(
            r.sentences / r.seconds, rel=0.01
        )
    # pipeline and our loop run the same fp32 model: the same labels, sorted or not.
    assert rows[1].agreement == 1.0 and rows[2].agreement == 1.0
    if bf16:
        import copy

        import numpy as np
        import torch

        from day3.classifier.predict import predict_logits

        fp32 = predict_logits(model, tok, TEXTS, 8, 128).argmax(-1)
        half = predict_logits(copy.deepcopy(model).to(torch.bfloat16), tok, TEXTS, 8, 128)
        expected = float(np.mean(half.argmax(-1) == fp32))  # computed here, independently
        assert expected < 1  # the near ties did flip some labels
        assert rows[3].dtype == "bf16" and rows[3].agreement == round(expected, 4)
    md = table_markdown(rows)
    assert md.count("\n") == len(rows) + 1 and "sentences/s" in md


def test_report_written_whole(tiny_bert, sentiment_jsonl, tmp_path):
    train, _ = sentiment_jsonl
    rows, context = run_throughput(
        model=str(tiny_bert), data=str(train), repeats=1, naive_samples=3, output=tmp_path / "tp"
    )
    saved = json.loads((tmp_path / "tp" / "throughput.json").read_text())
    assert len(saved["rows"]) == len(rows) and saved["sentences"] == context["sentences"] == 36
    assert (tmp_path / "tp" / "throughput.png").stat().st_size > 1000
    assert not (tmp_path / "tp.partial").exists()


def test_embedded_texts_offline():
    texts, source = load_texts("embedded")
    assert len(texts) == 480 and "embedded" in source


@pytest.mark.parametrize(
    "argv, pattern",
    [
        (["--batch-size", "0"], r"--batch-size must be at least 1"),
        (["--repeats", "0"], r"--repeats must be at least 1"),
        (["--data", "sst2"], r"no local copy.*DAY3_DATA_DIR"),
        (["--data", "missing.tsv"], r"missing.tsv"),
    ],
)
def test_cli_bad_input(capsys, tiny_bert, argv, pattern, tmp_path):
    code, _, err = run(capsys, "throughput", tiny_bert, *argv, "--output", tmp_path / "tp")
    assert_user_error(code, err, pattern)
    assert not (tmp_path / "tp").exists()


def test_text2text_keeps_the_removed_pipeline_interface():
    folder = build_tiny_model("t5")
    gen = load_text2text(folder, max_new_tokens=3)
    single = gen("translate to french : the red cat")
    many = gen(["what is the last word : a b", "translate to french : the red cat"])
    assert single[0].keys() == {"generated_text"} and isinstance(single[0]["generated_text"], str)
    # Greedy decoding is deterministic and batch order does not change an answer.
    assert many[1] == single[0]


def test_a_failed_compile_skips_its_row(tiny_classifier, monkeypatch):
    import torch

    def broken(model, **kwargs):
        def call(*a, **k):
            raise RuntimeError("InductorError: no C++ compiler found\nmore")

        call.config = model.config
        call.parameters = model.parameters
        return call

    monkeypatch.setattr(torch, "compile", broken)
    model, tok = tiny_classifier
    rows = measure_throughput(
        model, tok, TEXTS, batch_size=8, repeats=1, naive_samples=3, bf16=True, compile=True
    )
    assert [r.dtype for r in rows] == ["fp32", "fp32", "fp32", "bf16"]  # no compiled row
    assert all(r.first_pass_seconds > 0 for r in rows)
