"""The strategies comparison: row parsing, the leak-free STS split, the multi-task objective,
and `day3 compare-strategies` end to end on a tiny model (seconds)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from day3.classifier.multitask import MultiTaskModel, fine_tune_multitask, split_sts
from day3.classifier.strategies import LEARNING_RATES
from day3.compare.run import compare_strategies, parse_rows
from day3.core.errors import UserError
from day3.data.classification import DataSpec
from day3.data.pairs import SentencePairs

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
ROWS = ["full", "lora:16", "ia3", "prompt-tuning", "frozen", "multitask"]
ROW_KEYS = {
    "strategy",
    "objective",
    "accuracy",
    "f1",
    "trainable_params",
    "total_params",
    "trainable_percent",
    "saved_mb",
    "saved_what",
    "train_seconds",
    "peak_memory_mb",
    "sts_before",
    "sts_after",
    "sts_drop",
    "learning_rate",
    "steps",
    "losses",
}
SUBJECTS = ["a man", "a woman", "the dog", "two kids", "a chef", "the band", "an old cat", "a boy"]
VERBS = ["plays guitar", "cooks pasta", "runs in the park", "reads a book", "sings loudly"]


def _pairs(n: int = 24, shared: bool = False) -> SentencePairs:
    """n scored pairs; with `shared`, every other odd pair reuses a sentence of the pair before."""
    s1 = [f"{SUBJECTS[i % 8]} {VERBS[i % 5]} ({i})" for i in range(n)]
    s2 = [f"{SUBJECTS[(i + 3) % 8]} {VERBS[(i * 2) % 5]} [{i}]" for i in range(n)]
    if shared:
        s1 = [s1[i - 1] if i % 4 == 1 else s1[i] for i in range(n)]
    return SentencePairs(s1, s2, [(i % 6) * 0.9 for i in range(n)], "test pairs")


@pytest.fixture
def pairs_file(tmp_path) -> Path:
    p = _pairs()
    rows = zip(p.sentence1, p.sentence2, p.scores, strict=True)
    path = tmp_path / "pairs.jsonl"
    path.write_text(
        "".join(json.dumps({"sentence1": a, "sentence2": b, "score": s}) + "\n" for a, b, s in rows)
    )
    return path


# ---------------------------------------------------------------- rows and the split


def test_rows_parse_and_bad_names_are_user_errors():
    rows = parse_rows("full,lora:4,ia3,prompt-tuning,frozen,multitask")
    assert [r.label for r in rows] == [
        "full",
        "lora:4",
        "ia3",
        "prompt-tuning",
        "frozen",
        "multitask",
    ]
    multitask = rows[-1]
    assert multitask.multitask and multitask.strategy.name == "full"
    assert multitask.objective == "sentiment + similarity" and rows[0].objective == "sentiment"
    for bad, message in [
        ("full,adapters", "unknown strategy 'adapters'.*multitask"),
        ("multi-task", "unknown strategy"),
        ("ia3,ia3", "twice"),
        (" , ", "empty"),
        ("ia3:2", "only lora.* a rank"),
    ]:
        with pytest.raises(UserError, match=message):
            parse_rows(bad)


def test_a_row_reports_the_drop_as_before_minus_after():
    from types import SimpleNamespace

    from day3.classifier.strategies import StrategyConfig
    from day3.compare.run import Row, _row
    from day3.forgetting.probes import Probe

    measured = dict(
        trainable_params=10, total_params=100, trainable_percent=10.0, train_seconds=1.0,
        peak_memory_mb=5.0, steps=3, train_loss_first=0.7, train_loss_last=0.5,
    )  # fmt: skip
    run = SimpleNamespace(
        measured=measured,
        metrics={"accuracy": 0.75, "f1": 0.7},
        before={"stsb": 0.80},
        after={"stsb": 0.55},  # the encoder lost 0.25 of its similarity skill
        job=SimpleNamespace(training=SimpleNamespace(learning_rate=1e-3)),
    )
    probe = [Probe("stsb", lambda m, t: 0.0)]
    row = _row(Row("full", StrategyConfig("full")), run, 1.0, "full model", probe)
    assert row["sts_before"] == 0.80 and row["sts_after"] == 0.55
    assert row["sts_drop"] == pytest.approx(0.25)  # positive: forgotten
    assert _row(Row("full", StrategyConfig("full")), run, 1.0, "x", [])["sts_drop"] is None


def test_sts_split_is_disjoint_in_pairs_and_sentences():
    pairs = _pairs(40, shared=True)
    probe, train = split_sts(pairs)
    assert probe.sentence1 == pairs.sentence1[0::2]  # a fixed rule: the even pairs probe
    assert len(probe) == 20 and len(train) == 10  # odd pairs 1, 5, 9 … shared a sentence
    probe_sentences = set(probe.sentence1) | set(probe.sentence2)
    train_sentences = set(train.sentence1) | set(train.sentence2)
    assert not probe_sentences & train_sentences
    probe_pairs = set(zip(probe.sentence1, probe.sentence2, strict=True))
    assert not probe_pairs & set(zip(train.sentence1, train.sentence2, strict=True))
    assert split_sts(pairs)[1].sentence1 == train.sentence1  # the same every time
    with pytest.raises(UserError, match="give more pairs"):
        split_sts(_pairs(3))


# ---------------------------------------------------------------- the multi-task objective


@pytest.fixture
def tiny_prep(tiny_bert, tmp_path):
    from day3.classifier.strategies import StrategyConfig
    from day3.classifier.train import ClassifierJob, prepare

    job = ClassifierJob(
        model=str(tiny_bert),
        data=DataSpec("embedded", max_train_samples=32, max_eval_samples=8),
        strategy=StrategyConfig("full"),
        output=tmp_path / "run",
        epochs=1,
        batch_size=8,
        device="cpu",
    )
    return prepare(job)


def test_the_training_loss_is_both_objectives(tiny_prep):
    model = MultiTaskModel(tiny_prep.model, tiny_prep.tokenizer, _pairs(), batch_size=4)
    batch = tiny_prep.tokenizer(["a fine film", "a dull mess"], padding=True, return_tensors="pt")
    labels = torch.tensor([1, 0])
    model.train()
    out = model(**batch, labels=labels)
    sentiment, similarity = model.history[-1]
    assert sentiment > 0 and similarity > 0
    assert out.loss.item() == pytest.approx(sentiment + similarity, rel=1e-5)
    model.eval()  # evaluation is the classifier alone
    alone = tiny_prep.model(**batch, labels=labels).loss.item()
    assert model(**batch, labels=labels).loss.item() == alone
    assert len(model.history) == 1
    # The second objective trains the shared encoder, not the sentiment head.
    model.train()
    model.zero_grad()
    model.similarity_loss("cpu").backward()
    clf = tiny_prep.model
    assert clf.bert.embeddings.word_embeddings.weight.grad.abs().sum() > 0
    assert clf.classifier.weight.grad is None


def test_fine_tune_multitask_reports_both_losses_and_restores_the_classifier(tiny_prep):
    classifier = tiny_prep.model
    measured = fine_tune_multitask(tiny_prep, _pairs(), weight=1.0)
    assert tiny_prep.model is classifier  # the wrapper is gone, the trained classifier stays
    for key in ("sentiment", "similarity"):
        for when in ("first", "last"):
            assert measured[f"loss_{key}_{when}"] > 0
    assert measured["steps"] == 4 and measured["trainable_percent"] == 100.0
    # The Trainer's loss is the sum: both objectives were in every step.
    first = measured["loss_sentiment_first"] + measured["loss_similarity_first"]
    assert measured["train_loss_first"] == pytest.approx(first, rel=1e-3)


def test_multitask_needs_the_full_strategy(tiny_bert, tmp_path):
    from day3.classifier.strategies import StrategyConfig
    from day3.classifier.train import ClassifierJob, prepare

    job = ClassifierJob(
        model=str(tiny_bert),
        data=DataSpec("embedded", max_train_samples=8, max_eval_samples=8),
        strategy=StrategyConfig("frozen"),
        output=tmp_path / "run",
    )
    with pytest.raises(UserError, match="full strategy"):
        fine_tune_multitask(prepare(job), _pairs())


# ---------------------------------------------------------------- end to end


@pytest.mark.slow
def test_compare_strategies_end_to_end(tiny_bert, pairs_file, tmp_path):
    out = tmp_path / "compare"
    report = compare_strategies(
        model=str(tiny_bert),
        data=DataSpec("embedded", max_train_samples=24, max_eval_samples=16),
        strategies=",".join(["full", "lora", "ia3", "prompt-tuning", "frozen", "multitask"]),
        epochs=1,
        batch_size=8,
        output=out,
        probe=str(pairs_file),
        learning_rates={"full": 1e-2, "multitask": 1e-2},
        device="cpu",
    )
    assert report == json.loads((out / "comparison.json").read_text())
    assert set(report) == {"rows", "notes", "settings"}
    rows = {r["strategy"]: r for r in report["rows"]}
    assert list(rows) == ROWS
    for r in rows.values():
        assert set(r) == ROW_KEYS, r["strategy"]
        assert r["steps"] == 3 and r["saved_mb"] > 0 and r["train_seconds"] > 0
        assert r["peak_memory_mb"] > 0
        # accuracy is a count of the 16 validation sentences, not some other fraction
        assert r["accuracy"] * 16 == pytest.approx(round(r["accuracy"] * 16))
        assert r["sts_drop"] == pytest.approx(r["sts_before"] - r["sts_after"])
    assert len({r["sts_before"] for r in rows.values()}) == 1  # one pretrained encoder
    # An encoder whose weights never change cannot forget: exactly zero, not nearly.
    assert rows["frozen"]["sts_drop"] == 0.0 and rows["prompt-tuning"]["sts_drop"] == 0.0
    assert rows["multitask"]["learning_rate"] == 1e-2
    assert rows["ia3"]["learning_rate"] == LEARNING_RATES["encoder"]["ia3"]
    assert rows["multitask"]["objective"] == "sentiment + similarity"
    assert rows["multitask"]["losses"]["loss_similarity_first"] > 0
    assert rows["frozen"]["saved_what"] == "head only"
    assert (
        rows["ia3"]["saved_what"] == "adapter + head" and rows["full"]["saved_what"] == "full model"
    )
    assert rows["frozen"]["saved_mb"] < rows["ia3"]["saved_mb"] < rows["full"]["saved_mb"]
    assert rows["ia3"]["trainable_params"] < rows["lora:16"]["trainable_params"]
    assert rows["full"]["trainable_percent"] == 100.0
    settings = report["settings"]
    assert settings["n_probe_pairs"] == 12 and settings["n_similarity_train_pairs"] == 12
    assert settings["n_train"] == 24
    md = (out / "comparison.md").read_text()
    assert all(f"| {label} |" in md for label in ROWS) and "by construction" in md
    assert (out / "comparison.png").read_bytes().startswith(PNG_MAGIC)
    with pytest.raises(UserError, match="--overwrite"):  # refused before any training
        compare_strategies(model=str(tiny_bert), probe=str(pairs_file), output=out)


@pytest.mark.slow
def test_without_sts_b_forgetting_is_na_and_multitask_is_skipped(tiny_bert, tmp_path, monkeypatch):
    monkeypatch.delenv("DAY3_DATA_DIR", raising=False)
    out = tmp_path / "compare"
    report = compare_strategies(
        model=str(tiny_bert),
        data=DataSpec("embedded", max_train_samples=16, max_eval_samples=8),
        strategies="frozen,multitask",
        probe="stsb",  # asked for by name: offline without the mirror it is not there
        batch_size=8,
        output=out,
        device="cpu",
    )
    [row] = report["rows"]
    assert row["strategy"] == "frozen"
    assert row["sts_before"] is row["sts_after"] is row["sts_drop"] is None
    assert any("STS-B is not available" in n for n in report["notes"])
    assert "| n/a | n/a |" in (out / "comparison.md").read_text()
    with pytest.raises(UserError, match="only multitask"):
        compare_strategies(
            model=str(tiny_bert), strategies="multitask", probe="stsb", output=tmp_path / "x"
        )


def _cli(argv: list[str]) -> int:
    """A verb as `day3.cli.main` runs it, but a UserError propagates (to be matched)."""
    from day3.cli.main import build_parser
    from day3.core.flags import build

    args = build_parser().parse_args(argv)
    args.verb_spec.run(build(args.verb_spec.config, args))
    return 0


@pytest.mark.slow
def test_cli_compare_strategies(tiny_bert, pairs_file, tmp_path, capsys):
    out = tmp_path / "report"
    argv = ["compare-strategies", "--model", str(tiny_bert), "--data", "embedded"]
    argv += ["--strategies", "prompt-tuning,multitask", "--probe", str(pairs_file)]
    argv += ["--max-train-samples", "8", "--max-eval-samples", "8", "--batch-size", "8"]
    argv += ["--output", str(out), "--device", "cpu"]
    assert _cli(argv) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["output"] == str(out)
    assert [r["strategy"] for r in printed["rows"]] == ["prompt-tuning", "multitask"]
    assert (out / "comparison.md").is_file()


@pytest.mark.parametrize(
    ("strategies", "message"),
    [("full,bogus", "unknown strategy 'bogus'"), ("lora,lora", "twice"), (",", "empty")],
)
def test_cli_refuses_bad_strategies_before_training(tmp_path, strategies, message):
    with pytest.raises(UserError, match=message):
        _cli(["compare-strategies", "--strategies", strategies, "--output", str(tmp_path / "o")])
    assert not (tmp_path / "o").exists() and not (tmp_path / "o.partial").exists()


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="Linux only")
def test_peak_memory_is_per_row_not_per_process():
    from day3.core.device import DeviceChoice, peak_memory_mb, reset_peak_memory

    cpu = DeviceChoice("cpu", False)
    reset_peak_memory(cpu)
    base = peak_memory_mb(cpu)
    block = bytearray(256 * 2**20)  # an earlier, hungrier row
    block[::4096] = b"x" * len(block[::4096])  # touch every page: make it resident
    assert peak_memory_mb(cpu) > base + 200
    del block
    reset_peak_memory(cpu)  # the next row starts its own peak
    assert peak_memory_mb(cpu) < base + 100


@pytest.mark.slow
def test_compare_resumes_after_a_crash_without_retraining_finished_rows(
    tiny_bert, pairs_file, tmp_path, monkeypatch
):
    import day3.compare.run as fe

    kwargs = dict(
        model=str(tiny_bert),
        data=DataSpec("embedded", max_train_samples=24, max_eval_samples=16),
        strategies="frozen,lora",
        epochs=1,
        batch_size=8,
        output=tmp_path / "c",
        probe=str(pairs_file),
        device="cpu",
    )
    real, trained, crashes = fe.train_and_probe, [], []

    def crash_on_lora(job, *args, **kw):
        if job.strategy.name == "lora" and not crashes:
            crashes.append(job.strategy.label)
            raise RuntimeError("killed")
        trained.append(job.strategy.label)
        return real(job, *args, **kw)

    monkeypatch.setattr(fe, "train_and_probe", crash_on_lora)
    with pytest.raises(RuntimeError, match="killed"):
        compare_strategies(**kwargs)
    assert (tmp_path / "c.rows.json").is_file() and not (tmp_path / "c").exists()
    report = compare_strategies(**kwargs, resume=True)
    assert trained == ["frozen", "lora:16"]
    assert [r["strategy"] for r in report["rows"]] == ["frozen", "lora:16"]
    assert report["rows"][0]["sts_drop"] == 0.0  # frozen, scored before the crash
    assert not (tmp_path / "c.rows.json").exists()
