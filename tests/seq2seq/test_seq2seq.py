import json
from dataclasses import asdict

import numpy as np
import pytest
import torch
from datasets import Dataset

from day3.core.errors import UserError
from day3.forgetting.seq2seq import Seq2SeqStrategy, run_seq2seq_forgetting
from day3.miniflan.build import MiniFlanConfig, build_info, build_mini_flan, build_tokenizer
from day3.miniflan.tasks import MIXTURE, eval_set, sample
from day3.models.catalogue import resolve_model
from day3.seq2seq.generate import decode, generate
from day3.seq2seq.metrics import exact_match, rouge
from day3.seq2seq.train import Seq2SeqBudget, tokenize_pairs, train_seq2seq, training_arguments


@pytest.fixture(scope="module")
def tiny_t5():
    from day3.models.loading import load_seq2seq

    return load_seq2seq(resolve_model("tiny-t5").path)


def test_word_level_tokenizer_round_trips_and_appends_eos():
    tok = build_tokenizer()
    text = "translate to french : the red cat"
    ids = tok(text)["input_ids"]
    assert ids[-1] == tok.eos_token_id == 1 and tok.pad_token_id == 0
    assert tok.decode(ids, skip_special_tokens=True) == text
    assert tok.unk_token_id not in ids


def test_held_out_prompts_never_appear_in_training():
    for task in MIXTURE:
        held = {r["input"] for r in eval_set(task)}
        train = {r["input"] for r in sample(task, 500, seed=100, exclude=held, distinct=False)}
        assert held and not held & train, task


def test_labels_are_padded_with_minus_100_and_decoding_never_crashes(tiny_t5):
    from transformers import DataCollatorForSeq2Seq

    model, tok = tiny_t5
    rows = [
        {"input": "what is the last word : cat dog", "target": "dog"},
        {"input": "translate to french : the red cat", "target": "le chat rouge"},
    ]
    ds = tokenize_pairs(Dataset.from_list(rows), tok)
    batch = DataCollatorForSeq2Seq(tok, model=model, label_pad_token_id=-100)(list(ds))
    labels = batch["labels"]
    assert (labels == -100).sum() == 2  # "dog </s>" padded to "le chat rouge </s>"
    loss = model(**batch).loss
    assert torch.isfinite(loss)
    assert decode(tok, labels) == ["dog", "le chat rouge"]
    assert decode(tok, np.full((1, 4), -100)) == [""]


class EchoFirstWord(torch.nn.Module):
    """A hand-set "model" whose answer to each input is known: its first word. Batches come
    sorted by length, so only writing each answer back to its own row gives the inputs' order."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(1))  # generate() asks for a device

    def generate(self, input_ids, attention_mask=None, **kwargs):
        first = input_ids[:, :1]  # right padding: the first token is the first word
        start, eos = torch.zeros_like(first), torch.ones_like(first)
        return torch.cat([start, first, eos], dim=1)


def test_generate_returns_each_answer_at_its_inputs_place():
    tok = build_tokenizer()
    # Lengths 1, 5, 2, 4, 3: sorted batching visits them in another order than given.
    inputs = ["red", "cat dog fox bird cow", "blue hat", "green ball cup box", "white lamp kite"]
    out = generate(EchoFirstWord(), tok, inputs, max_new_tokens=3, batch_size=2)
    assert out == ["red", "cat", "blue", "green", "white"]
    with pytest.raises(UserError):
        generate(EchoFirstWord(), tok, inputs, max_new_tokens=0)


def test_metrics():
    assert exact_match(["Le chat ", "no"], ["le  chat", "yes"]) == 0.5
    r = rouge(["the cat sat on the mat"], ["the cat sat on the mat"])
    assert r == {"rouge1": 100.0, "rouge2": 100.0, "rougeL": 100.0}
    assert rouge(["dogs bark"], ["the cat sat"])["rouge1"] == 0.0


@pytest.mark.slow
def test_tiny_t5_loss_falls(tiny_t5, tmp_path):
    from day3.core.device import pick_device

    model, tok = tiny_t5
    train = tokenize_pairs(Dataset.from_list(sample("last-word", 512, seed=3, distinct=False)), tok)
    args = training_arguments(
        str(tmp_path), Seq2SeqBudget(60, 3e-3, 32), pick_device(bf16=False), logging_steps=5
    )
    losses = train_seq2seq(model, tok, train, args)["losses"]
    assert sum(losses[-3:]) / 3 < 0.7 * losses[0], losses


@pytest.mark.slow
def test_mini_flan_build_is_labelled_cached_and_deterministic(tmp_path):
    config = MiniFlanConfig(
        d_model=32, d_ff=64, num_layers=1, num_heads=2, steps=20, train_per_task=200
    )
    a = build_mini_flan(tmp_path / "a", config)
    info = build_info(a)
    assert "stand-in" in info["stand_in"] and set(info["exact_match"]) == set(MIXTURE)
    assert "stand-in" in json.loads((a / "config.json").read_text())["day3_stand_in"]
    stamp = (a / "model.safetensors").stat().st_mtime_ns
    assert build_mini_flan(tmp_path / "a", config) == a  # cached: not rebuilt
    assert (a / "model.safetensors").stat().st_mtime_ns == stamp
    b = build_mini_flan(tmp_path / "b", config)
    assert (a / "model.safetensors").read_bytes() == (b / "model.safetensors").read_bytes()
    assert not (tmp_path / "a.checkpoints").exists()


@pytest.mark.slow
def test_a_killed_mini_flan_build_resumes_to_the_same_model(tmp_path, capfd):
    import os
    import subprocess
    import sys

    config = MiniFlanConfig(
        d_model=32, d_ff=64, num_layers=1, num_heads=2, steps=24, train_per_task=200
    )
    code = (
        "import sys; from pathlib import Path; from day3.miniflan.build import *; "
        f"build_mini_flan(Path(sys.argv[1]), MiniFlanConfig(**{asdict(config)!r}))"
    )
    # Saves every 3 steps; the 4th save is killed halfway: checkpoints 6 and 9 are complete.
    env = {**os.environ, "DAY3_FAULT_KILL_IN_SAVE": "4"}
    killed = subprocess.run([sys.executable, "-c", code, str(tmp_path / "c")], env=env)
    assert killed.returncode == -9
    assert not (tmp_path / "c").exists() and (tmp_path / "c.checkpoints").is_dir()
    c = build_mini_flan(tmp_path / "c", config)
    assert "resuming from" in capfd.readouterr().err
    a = build_mini_flan(tmp_path / "a", config)
    assert (a / "model.safetensors").read_bytes() == (c / "model.safetensors").read_bytes()
    assert not (tmp_path / "c.checkpoints").exists()


def test_replay_swaps_exactly_its_fraction_for_old_task_rows():
    from day3.forgetting.seq2seq import mini_flan_task, training_rows

    task = mini_flan_task("max", 200, seed=0)
    old_inputs = {r["input"] for r in task.prior_train}
    plain = training_rows(task, Seq2SeqStrategy.parse("full"), seed=0)
    assert plain == task.train and not any(r["input"] in old_inputs for r in plain)
    mixed = training_rows(task, Seq2SeqStrategy.parse("replay:0.25"), seed=0)
    assert len(mixed) == 200  # the same budget
    replayed = [r for r in mixed if r["task"] != "max"]
    assert len(replayed) == 50 and all(r["input"] in old_inputs for r in replayed)
    assert {r["task"] for r in replayed} <= set(MIXTURE) and len({r["task"] for r in replayed}) > 1


def test_low_lr_is_a_tenth_of_the_base_rate():
    from day3.classifier.strategies import LEARNING_RATES
    from day3.forgetting.seq2seq import strategy_lr

    base = LEARNING_RATES["t5"]
    assert strategy_lr(Seq2SeqStrategy.parse("full")) == base["full"]
    assert strategy_lr(Seq2SeqStrategy.parse("low-lr")) == pytest.approx(base["full"] / 10)
    assert strategy_lr(Seq2SeqStrategy.parse("lora")) == base["lora"]
    assert strategy_lr(Seq2SeqStrategy.parse("low-lr"), 1e-2) == pytest.approx(1e-3)


def test_strategy_parsing():
    assert Seq2SeqStrategy.parse("replay:0.1").replay == 0.1
    assert Seq2SeqStrategy.parse("lora:8").lora_r == 8
    assert Seq2SeqStrategy.parse("low-lr").lr_scale == 0.1
    for bad in ("replay:1.5", "replay:x", "lora:0", "adam", "full:2"):
        with pytest.raises(UserError):
            Seq2SeqStrategy.parse(bad)


@pytest.mark.slow
def test_seq2seq_forgetting_end_to_end_on_a_tiny_t5(tmp_path):
    report = run_seq2seq_forgetting(
        model="tiny-t5",
        strategies="full,lora:4,replay:0.5,low-lr",
        steps=3,
        batch_size=8,
        train_samples=64,
        output=tmp_path / "f",
    )
    assert [r["strategy"] for r in report["results"]] == ["full", "lora:4", "replay:0.5", "low-lr"]
    for r in report["results"]:
        assert set(r["probes"]) == set(MIXTURE)
        for p in r["probes"].values():
            assert p["drop"] == pytest.approx(p["before"] - p["after"])
    assert report["settings"]["stand_in"] is True
    per = report["settings"]["strategies"]
    # What each strategy trained on and at what rate, as run (not as configured).
    assert [per[s]["replayed_rows"] for s in per] == [0, 0, 32, 0]
    assert per["low-lr"]["learning_rate"] == pytest.approx(per["full"]["learning_rate"] / 10)
    assert (tmp_path / "f" / "forgetting.png").is_file()


@pytest.mark.slow
def test_flan_t5_path_dialogsum_rouge_with_a_tiny_t5_from_config(tmp_path, monkeypatch):
    """The online Flan-T5 path (DialogSum, ROUGE, zero-shot probes) on a tiny T5 built from a
    config, with DialogSum read from a mirror laid out like ../shared/data."""
    from day3.models.tiny import build_tiny_model

    mirror = tmp_path / "mirror" / "dialogsum"
    mirror.mkdir(parents=True)
    rows = [
        {
            "fname": f"d{i}",
            "dialogue": f"#Person1#: the cat is red . #Person2#: yes {i}",
            "summary": "person1 says the cat is red .",
            "topic": "cats",
        }
        for i in range(20)
    ]
    (mirror / "validation.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    monkeypatch.setenv("DAY3_DATA_DIR", str(tmp_path / "mirror"))
    model = build_tiny_model("t5", tmp_path / "t5")  # not the stand-in: takes the Flan-T5 path
    report = run_seq2seq_forgetting(
        model=str(model), strategies="full,lora:4", steps=2, batch_size=4, output=tmp_path / "f"
    )
    assert report["settings"]["stand_in"] is False
    assert report["settings"]["new_task"] == "dialogsum"
    assert report["settings"]["new_task_metric"] == "rougeL"
    for r in report["results"]:
        assert set(r["probes"]) == {"sentiment", "qa"}
        scores = report["settings"]["strategies"][r["strategy"]]["new_task_scores"]
        assert set(scores) == {"score", "rouge1", "rouge2", "rougeL"}
        # The headline number is ROUGE-L (x100 in the table, a fraction here), not another one.
        assert r["new_task_score"] == scores["score"] == pytest.approx(scores["rougeL"] / 100)
