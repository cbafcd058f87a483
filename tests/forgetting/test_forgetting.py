"""Forgetting machinery: exact zero for an unchanged model, a real drop after conflicting
training, the report's shape and atomicity, and the encoder run end to end on a tiny model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from day3.classifier.similarity import sts_spearman
from day3.core.errors import UserError
from day3.data.pairs import SentencePairs
from day3.forgetting.probes import Probe, score_probes
from day3.forgetting.report import ForgettingResult, write_report

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
RESULT_KEYS = {
    "strategy",
    "new_task",
    "new_task_score",
    "probes",
    "average_forgetting",
    "train_seconds",
}
POSITIVE = ["good", "great", "fine", "nice", "superb", "lovely"]
NEGATIVE = ["bad", "awful", "poor", "dull", "boring", "ugly"]
NOUNS = ["film", "plot", "cast", "ending"]
PAIRS = [
    ("A man is playing a guitar.", "A man plays the guitar.", 4.8),
    ("A woman is slicing an onion.", "Someone cuts an onion.", 4.0),
    ("The cat sleeps on the sofa.", "A cat is sleeping.", 3.5),
    ("A dog runs in the park.", "A child plays in the park.", 2.0),
    ("Stock markets fell today.", "A man is playing a guitar.", 0.2),
    ("Two kids build a sandcastle.", "The stock market rose.", 0.0),
    ("A chef is cooking pasta.", "Someone is cooking food.", 3.8),
    ("The train left the station.", "A woman is slicing an onion.", 0.4),
]


def _sentiment_task() -> tuple[list[str], np.ndarray]:
    """Task A: a keyword decides the label. Task B (conflicting) is the same texts, flipped."""
    texts = [f"a {w} {n}" for w in POSITIVE + NEGATIVE for n in NOUNS]
    labels = np.array([1] * (len(POSITIVE) * len(NOUNS)) + [0] * (len(NEGATIVE) * len(NOUNS)))
    return texts, labels


def accuracy_probe(name: str, texts: list[str], labels: np.ndarray) -> Probe:
    from day3.classifier.predict import predict_logits

    def score(model, tokenizer) -> float:
        logits = predict_logits(model, tokenizer, texts, max_length=32)
        return float((logits.argmax(-1) == labels).mean())

    return Probe(name, score)


def sts_probe(pairs: SentencePairs) -> Probe:
    return Probe("sts", lambda m, t: sts_spearman(m, t, pairs, max_length=32))


def _train(model, tokenizer, texts: list[str], labels: np.ndarray, steps: int, lr: float) -> None:
    """A plain torch loop: hard, full-batch training, seeded."""
    torch.manual_seed(0)
    batch = tokenizer(texts, padding=True, return_tensors="pt")
    target = torch.tensor(labels)
    opt = torch.optim.AdamW(model.parameters(), lr=lr)
    model.train()
    # Matrices this small gain nothing from threads, and on a busy machine the threads' sync
    # makes each step ~30x slower.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for _ in range(steps):
            loss = model(**batch, labels=target).loss
            opt.zero_grad()
            loss.backward()
            opt.step()
    finally:
        torch.set_num_threads(threads)


@pytest.fixture
def classifier(tiny_bert):
    from transformers import BertForSequenceClassification

    from day3.models.loading import load_tokenizer

    torch.manual_seed(0)
    return BertForSequenceClassification.from_pretrained(tiny_bert, num_labels=2), load_tokenizer(
        str(tiny_bert)
    )


def _result(strategy: str, score: float, before: float, after: float) -> ForgettingResult:
    return ForgettingResult.from_scores(
        strategy, "sst2", score, {"stsb": before}, {"stsb": after}, 1.5
    )


# ---------------------------------------------------------------- measuring


def test_an_unchanged_model_forgets_exactly_nothing(classifier):
    model, tok = classifier
    texts, labels = _sentiment_task()
    pairs = SentencePairs(*map(list, zip(*PAIRS, strict=True)), "test")
    probes = [accuracy_probe("sentiment", texts, labels), sts_probe(pairs)]
    # As a model leaves training: in train mode, dropout on. A probe that forgets to switch
    # to eval mode scores noise, and two scorings of the same weights differ.
    model.train()
    assert model.config.hidden_dropout_prob > 0
    before = score_probes(probes, model, tok)
    model.train()
    after = score_probes(probes, model, tok)
    result = ForgettingResult.from_scores("full", "nothing", 0.5, before, after)
    assert all(p["drop"] == 0.0 for p in result.probes.values())
    assert result.average_forgetting == 0.0
    assert list(result.probes) == ["sentiment", "sts"]


def test_hard_training_on_a_conflicting_task_forgets_the_old_one(classifier):
    model, tok = classifier
    texts, labels = _sentiment_task()
    probe = accuracy_probe("task A", texts, labels)
    _train(model, tok, texts, labels, steps=40, lr=2e-3)  # learn task A
    before = score_probes([probe], model, tok)
    assert before["task A"] >= 0.9, before  # the probe measures a skill the model really has
    _train(model, tok, texts, 1 - labels, steps=40, lr=2e-3)  # task B contradicts task A
    after = score_probes([probe], model, tok)
    result = ForgettingResult.from_scores("full", "task B", 1 - after["task A"], before, after)
    assert result.probes["task A"]["drop"] > 0.5, result
    assert result.average_forgetting == result.probes["task A"]["drop"]


def test_drop_is_before_minus_after_and_averaged():
    r = ForgettingResult.from_scores(
        "lora:16", "sst2", 0.9, {"a": 0.8, "b": 0.5}, {"a": 0.6, "b": 0.6}, 2.0
    )
    assert r.probes["a"] == {"before": 0.8, "after": 0.6, "drop": pytest.approx(0.2)}
    assert r.probes["b"]["drop"] == pytest.approx(-0.1)  # improvement is negative forgetting
    assert r.average_forgetting == pytest.approx(0.05)
    with pytest.raises(ValueError, match="differ"):
        ForgettingResult.from_scores("full", "x", 0.9, {"a": 1.0}, {"b": 1.0})


def test_probe_names_must_be_unique():
    p = Probe("same", lambda m, t: 1.0)
    with pytest.raises(ValueError, match="unique"):
        score_probes([p, p], None, None)


# ---------------------------------------------------------------- report


def test_report_has_exactly_the_documented_shape(tmp_path):
    results = [_result("full", 0.91, 0.82, 0.55), _result("lora:16", 0.89, 0.82, 0.78)]
    settings = {"model": "minilm", "epochs": 1}
    folder = write_report(results, settings, tmp_path / "report")
    report = json.loads((folder / "forgetting.json").read_text())
    assert set(report) == {"results", "settings"}
    assert report["settings"] == settings
    assert [r["strategy"] for r in report["results"]] == ["full", "lora:16"]
    for r in report["results"]:
        assert set(r) == RESULT_KEYS
        assert set(r["probes"]) == {"stsb"}
        assert set(r["probes"]["stsb"]) == {"before", "after", "drop"}
    assert report["results"][0]["probes"]["stsb"]["drop"] == pytest.approx(0.27)
    md = (folder / "forgetting.md").read_text()
    assert "| full | 0.9100 |" in md and "lora:16" in md
    png = (folder / "forgetting.png").read_bytes()
    assert png.startswith(PNG_MAGIC)
    import matplotlib.image

    assert matplotlib.image.imread(folder / "forgetting.png").ndim == 3  # decodes as an image
    assert not (tmp_path / "report.partial").exists()


def test_the_plot_shows_every_probe_on_honest_axes():
    """The Flan-T5 lesson's case: one probe barely moved (sentiment 1.0 -> 0.99), another
    collapsed (translate 1.0 -> 0.0). Both must show, on scales where 0.01 looks small."""
    import matplotlib.pyplot as plt

    from day3.forgetting.report import learn_forget_figure

    before = {"sentiment": 1.0, "translate": 1.0, "category": 1.0}
    full = ForgettingResult.from_scores(
        "full", "max", 1.0, before, {"sentiment": 0.99, "translate": 0.0, "category": 0.26}
    )
    lora = ForgettingResult.from_scores(
        "lora:16", "max", 0.98, before, {"sentiment": 1.0, "translate": 0.9, "category": 0.8}
    )
    fig = learn_forget_figure([full, lora])
    learned, lost = fig.axes
    x0, x1 = learned.get_xlim()
    assert x0 <= 0 and x1 >= 1  # the new-task score on its whole 0..1 scale
    y0, y1 = learned.get_ylim()
    assert y0 <= 0 <= y1 and y1 >= full.average_forgetting  # 0 and the worst average in view
    points = sorted(tuple(c.get_offsets()[0]) for c in learned.collections)
    assert points == sorted(
        [(1.0, pytest.approx(full.average_forgetting)), (0.98, lora.average_forgetting)]
    )
    heights = sorted(round(b.get_height(), 4) for b in lost.patches)
    assert heights == sorted(round(p["drop"], 4) for r in (full, lora) for p in r.probes.values())
    assert lost.get_ylim()[1] >= 1.0  # translate's collapse fits
    assert [t.get_text() for t in lost.get_xticklabels()] == list(before)
    plt.close(fig)


def test_report_refuses_a_non_empty_output_unless_overwrite(tmp_path):
    out = tmp_path / "report"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(UserError, match="--overwrite"):
        write_report([_result("full", 0.9, 0.8, 0.7)], {}, out)
    assert (out / "keep.txt").read_text() == "mine"
    write_report([_result("full", 0.9, 0.8, 0.7)], {}, out, overwrite=True)
    assert sorted(p.name for p in out.iterdir()) == [
        "day3-output.json",  # the kit's marker: how --overwrite knows its own outputs
        "forgetting.json",
        "forgetting.md",
        "forgetting.png",
    ]


def test_a_failed_report_leaves_the_old_one_untouched(tmp_path, monkeypatch):
    import day3.forgetting.report

    out = tmp_path / "report"
    write_report([_result("full", 0.9, 0.8, 0.7)], {"n": 1}, out)

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(day3.forgetting.report, "plot_learn_forget", boom)
    with pytest.raises(RuntimeError):
        write_report([_result("full", 0.1, 0.8, 0.1)], {"n": 2}, out, overwrite=True)
    assert json.loads((out / "forgetting.json").read_text())["settings"] == {"n": 1}
    assert not (tmp_path / "report.partial").exists()


def test_a_nan_score_is_refused_not_written(tmp_path):
    with pytest.raises(ValueError, match="non-finite"):
        write_report([_result("full", float("nan"), 0.8, 0.7)], {}, tmp_path / "r")
    assert not (tmp_path / "r").exists()


# ---------------------------------------------------------------- the encoder run


@pytest.fixture
def pairs_file(tmp_path) -> Path:
    path = tmp_path / "pairs.jsonl"
    rows = [{"sentence1": a, "sentence2": b, "score": s} for a, b, s in PAIRS]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_encoder_forgetting_end_to_end(tiny_bert, pairs_file, sentiment_jsonl, tmp_path):
    from day3.classifier.strategies import LEARNING_RATES
    from day3.data.classification import DataSpec
    from day3.forgetting.encoder import run_encoder_forgetting

    train, val = sentiment_jsonl
    data = DataSpec(data=str(train), validation_file=str(val))
    out = tmp_path / "forgetting"
    report = run_encoder_forgetting(
        model=str(tiny_bert),
        data=data,
        probe=str(pairs_file),
        strategies="full,lora:4,frozen",
        max_train_samples=16,
        epochs=1,
        batch_size=8,
        output=out,
        device="cpu",
    )
    assert report == json.loads((out / "forgetting.json").read_text())
    results = {r["strategy"]: r for r in report["results"]}
    assert list(results) == ["full", "lora:4", "frozen"]
    for r in results.values():
        assert set(r) == RESULT_KEYS and r["new_task"] == "train"
        assert set(r["probes"]) == {"pairs"}
    befores = {r["probes"]["pairs"]["before"] for r in results.values()}
    assert len(befores) == 1  # measured once, on the shared pretrained encoder
    # A frozen backbone cannot forget: its encoder weights never change.
    assert results["frozen"]["probes"]["pairs"]["drop"] == 0.0
    settings = report["settings"]
    assert settings["n_train"] == 16 and settings["n_probe_pairs"] == len(PAIRS)
    assert settings["strategies"]["lora:4"]["learning_rate"] == LEARNING_RATES["encoder"]["lora"]
    assert settings["strategies"]["full"]["learning_rate"] == LEARNING_RATES["encoder"]["full"]
    assert (out / "forgetting.png").read_bytes().startswith(PNG_MAGIC)
    with pytest.raises(UserError, match="--overwrite"):  # refused before any training
        run_encoder_forgetting(model=str(tiny_bert), data=data, probe=str(pairs_file), output=out)


def _cli(argv: list[str]) -> int:
    """A verb as `day3.cli.main` runs it, but a UserError propagates (to be matched)."""
    from day3.cli.main import build_parser
    from day3.core.flags import build

    args = build_parser().parse_args(argv)
    args.verb_spec.run(build(args.verb_spec.config, args))
    return 0


def test_cli_forgetting_encoder(tiny_bert, pairs_file, tmp_path, capsys):
    out = tmp_path / "report"
    argv = ["forgetting", "encoder", "--model", str(tiny_bert), "--data", "embedded"]
    argv += ["--probe", str(pairs_file), "--strategies", "frozen", "--max-train-samples", "8"]
    argv += ["--max-eval-samples", "8", "--epochs", "1", "--batch-size", "8"]
    argv += ["--output", str(out), "--device", "cpu"]
    assert _cli(argv) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["output"] == str(out)
    assert [r["strategy"] for r in printed["results"]] == ["frozen"]
    assert (out / "forgetting.md").is_file()


@pytest.mark.parametrize(
    ("strategies", "message"),
    [("full,bogus", "unknown strategy"), ("lora:4,lora:4", "twice"), (",", "empty")],
)
def test_cli_refuses_bad_strategies_before_training(tmp_path, strategies, message):
    with pytest.raises(UserError, match=message):
        _cli(["forgetting", "encoder", "--strategies", strategies, "--output", str(tmp_path / "o")])


@pytest.mark.slow
def test_an_interrupted_comparison_resumes_with_the_next_row(
    tiny_bert, pairs_file, sentiment_jsonl, tmp_path, monkeypatch
):
    import day3.forgetting.encoder as fe
    from day3.data.classification import DataSpec

    train, val = sentiment_jsonl
    kwargs = dict(
        model=str(tiny_bert),
        data=DataSpec(data=str(train), validation_file=str(val)),
        probe=str(pairs_file),
        strategies="full,frozen",
        max_train_samples=16,
        epochs=1,
        batch_size=8,
        output=tmp_path / "f",
        device="cpu",
    )
    real, trained = fe.train_and_probe, []

    def crash_on_frozen(job, *args, **kw):
        if job.strategy.label == "frozen":
            raise KeyboardInterrupt  # the user's Ctrl-C, or a kill, mid-comparison
        trained.append(job.strategy.label)
        return real(job, *args, **kw)

    monkeypatch.setattr(fe, "train_and_probe", crash_on_frozen)
    with pytest.raises(KeyboardInterrupt):
        fe.run_encoder_forgetting(**kwargs)
    journal = tmp_path / "f.rows.json"
    assert trained == ["full"] and journal.is_file() and not (tmp_path / "f").exists()

    with pytest.raises(UserError, match="--resume to continue it, or --overwrite"):
        fe.run_encoder_forgetting(**kwargs)
    with pytest.raises(UserError, match=r"other settings \(epochs\)"):
        fe.run_encoder_forgetting(**{**kwargs, "epochs": 2}, resume=True)

    def count(job, *args, **kw):
        trained.append(job.strategy.label)
        return real(job, *args, **kw)

    monkeypatch.setattr(fe, "train_and_probe", count)
    report = fe.run_encoder_forgetting(**kwargs, resume=True)
    assert trained == ["full", "frozen"]  # full was not trained again
    assert [r["strategy"] for r in report["results"]] == ["full", "frozen"]
    befores = {r["probes"]["pairs"]["before"] for r in report["results"]}
    assert len(befores) == 1  # the resumed row scored against the same pretrained encoder
    assert not journal.exists()
