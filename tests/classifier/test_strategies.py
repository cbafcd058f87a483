import pytest

from day3.classifier.strategies import StrategyConfig, apply_strategy, count_parameters
from day3.core.errors import UserError
from day3.models.loading import load_classifier

LABELS = {0: "negative", 1: "positive"}


def trainable_names(model) -> set[str]:
    return {n for n, p in model.named_parameters() if p.requires_grad}


@pytest.mark.parametrize(
    "fixture,head",
    [
        ("tiny_bert", {"bert.pooler.dense", "classifier"}),
        ("tiny_distilbert", {"pre_classifier", "classifier"}),
    ],
)
def test_frozen_trains_only_the_head(request, fixture, head):
    model = apply_strategy(
        load_classifier(str(request.getfixturevalue(fixture)), LABELS), StrategyConfig("frozen")
    )
    names = trainable_names(model)
    assert names == {f"{h}.{w}" for h in head for w in ("weight", "bias")}
    trainable, total = count_parameters(model)
    assert 0 < trainable < total / 10


@pytest.mark.parametrize(
    "fixture,targets,head",
    [
        ("tiny_bert", ("query", "value"), {"bert.pooler.dense", "classifier"}),
        ("tiny_distilbert", ("q_lin", "v_lin"), {"pre_classifier", "classifier"}),
    ],
)
def test_lora_trains_only_adapters_and_the_head(request, fixture, targets, head):
    model = apply_strategy(
        load_classifier(str(request.getfixturevalue(fixture)), LABELS),
        StrategyConfig("lora", lora_r=4),
    )
    names = trainable_names(model)
    lora = {n for n in names if "lora_" in n}
    # A/B of rank 4 on each target projection of each of the 2 layers, nothing else.
    assert len(lora) == 2 * len(targets) * 2
    assert all(any(f".{t}." in n for t in targets) for n in lora)
    rest = names - lora
    assert all("modules_to_save.default" in n for n in rest)  # the head, trained in full
    trained_head = {
        n.replace("base_model.model.", "").replace(".modules_to_save.default", "") for n in rest
    }
    # Exactly the architecture's whole head (BERT's pooler included), weights and biases.
    assert trained_head == {f"{h}.{w}" for h in head for w in ("weight", "bias")}


def test_full_trains_everything(tiny_bert):
    model = apply_strategy(load_classifier(str(tiny_bert), LABELS), StrategyConfig("full"))
    trainable, total = count_parameters(model)
    assert trainable == total


def test_strategy_parsing_and_validation():
    assert StrategyConfig.parse("lora:64").lora_r == 64
    assert StrategyConfig.parse("frozen").label == "frozen"
    assert StrategyConfig.parse("lora").label == "lora:16"
    for bad, msg in [
        ("sgd", "unknown strategy"),
        ("lora:x", "integer"),
        ("full:3", "only lora"),
        ("lora:0", "positive integer"),
    ]:
        with pytest.raises(UserError, match=msg):
            StrategyConfig.parse(bad)


# ---------------------------------------------------------------- ia3 and prompt tuning


@pytest.mark.parametrize(
    "fixture,targets,feedforward",
    [
        ("tiny_bert", ("attention.self.key", "attention.self.value", "output.dense"), "output"),
        ("tiny_distilbert", ("attention.k_lin", "attention.v_lin", "ffn.lin2"), "ffn.lin2"),
    ],
)
def test_ia3_trains_only_its_vectors_and_the_head(request, fixture, targets, feedforward):
    model = apply_strategy(
        load_classifier(str(request.getfixturevalue(fixture)), LABELS), StrategyConfig("ia3")
    )
    names = trainable_names(model)
    ia3 = {n for n in names if ".ia3_l." in n}
    assert {n.split(".layer.")[1].split(".", 1)[1].split(".ia3_l")[0] for n in ia3} == set(targets)
    assert not any("attention.output.dense" in n for n in ia3)  # the paper's three vectors only
    rest = names - ia3
    assert rest and all("modules_to_save" in n for n in rest)
    assert any("classifier" in n for n in rest)
    # A feed-forward vector scales the layer's input (the 64-wide inner activation), the
    # others its output (32 wide): peft's `feedforward_modules` did its job.
    sizes = {n: p.numel() for n, p in model.named_parameters() if n in ia3}
    assert {s for n, s in sizes.items() if feedforward in n} == {64}
    assert {s for n, s in sizes.items() if feedforward not in n} == {32}
    trainable, total = count_parameters(model)
    assert trainable == sum(p.numel() for n, p in model.named_parameters() if n in names)
    assert 0 < trainable < total / 100


@pytest.mark.parametrize(
    "fixture,head", [("tiny_bert", "bert.pooler"), ("tiny_distilbert", "pre_classifier")]
)
def test_prompt_tuning_trains_only_the_virtual_tokens_and_the_head(request, fixture, head):
    model = apply_strategy(
        load_classifier(str(request.getfixturevalue(fixture)), LABELS),
        StrategyConfig("prompt-tuning", num_virtual_tokens=5),
    )
    names = trainable_names(model)
    prompt = {n for n in names if n.startswith("prompt_encoder.")}
    assert [model.get_parameter(n).shape for n in prompt] == [(5, 32)]
    rest = names - prompt
    assert rest and all("modules_to_save" in n for n in rest)
    assert any(head in n for n in rest) and any(".classifier." in f".{n}" for n in rest)
    trainable, total = count_parameters(model)
    assert trainable == 5 * 32 + sum(model.get_parameter(n).numel() for n in rest)
    assert 0 < trainable < total / 100


def test_peft_does_not_grow_the_shared_head_list(tiny_bert):
    from day3.classifier.strategies import HEAD_MODULES

    for name in ("lora", "ia3", "prompt-tuning"):
        apply_strategy(load_classifier(str(tiny_bert), LABELS), StrategyConfig(name))
    # peft appends "classifier", "score" to the list it is given: it must be a copy.
    assert HEAD_MODULES["bert"] == ["pooler", "classifier"]


def test_every_strategy_has_a_default_learning_rate():
    from day3.classifier.strategies import LEARNING_RATES, STRATEGIES

    assert set(LEARNING_RATES["encoder"]) == set(STRATEGIES)


def test_new_strategy_names_parse_and_validate(tiny_bert):
    assert StrategyConfig.parse("ia3").label == "ia3"
    assert StrategyConfig.parse("prompt-tuning").label == "prompt-tuning"
    assert StrategyConfig.parse("prompt-tuning").is_peft and not StrategyConfig("frozen").is_peft
    with pytest.raises(UserError, match="only lora.* a rank"):
        StrategyConfig.parse("ia3:4")
    with pytest.raises(UserError, match="--num-virtual-tokens"):
        StrategyConfig("prompt-tuning", num_virtual_tokens=0)
    # tiny-bert has 128 positions: 200 virtual tokens cannot be placed before any text.
    with pytest.raises(UserError, match="positions"):
        apply_strategy(
            load_classifier(str(tiny_bert), LABELS),
            StrategyConfig("prompt-tuning", num_virtual_tokens=200),
        )


@pytest.mark.slow
@pytest.mark.parametrize("strategy", ["ia3", "prompt-tuning"])
@pytest.mark.parametrize("fixture", ["tiny_bert", "tiny_distilbert"])
def test_save_reload_gives_identical_logits(request, tmp_path, strategy, fixture):
    import torch

    from day3.classifier.predict import id2label_of, load_classifier_folder, predict_logits
    from day3.classifier.save import save_run
    from day3.classifier.train import ClassifierJob, evaluate, fine_tune, prepare
    from day3.data.classification import DataSpec

    texts = ["a wonderful film", "a dull mess", "not bad at all, i loved it"]
    job = ClassifierJob(
        model=str(request.getfixturevalue(fixture)),
        data=DataSpec("embedded", max_train_samples=32, max_eval_samples=16),
        strategy=StrategyConfig(strategy),
        output=tmp_path / "run",
        epochs=1,
        batch_size=8,
        device="cpu",
    )
    prep = prepare(job)
    untrained = predict_logits(prep.model, prep.tokenizer, texts)
    measured = fine_tune(prep)
    trained = predict_logits(prep.model, prep.tokenizer, texts)
    assert not (trained == untrained).all()  # the adapter and head did move
    out = save_run(prep, measured, evaluate(prep))
    assert (out / "adapter_model.safetensors").is_file() and not (out / "merged").exists()
    model, tok = load_classifier_folder(out)
    assert torch.equal(torch.from_numpy(predict_logits(model, tok, texts)), torch.tensor(trained))
    assert id2label_of(model) == {0: "negative", 1: "positive"}  # names, not LABEL_0


def test_encoder_of_sees_ia3_but_not_virtual_tokens(tiny_bert):
    import numpy as np
    import torch

    from day3.classifier.similarity import encode
    from day3.models.loading import load_tokenizer

    tok = load_tokenizer(str(tiny_bert))
    texts = ["a man plays a guitar", "the cat sleeps on the sofa"]
    base = encode(load_classifier(str(tiny_bert), LABELS), tok, texts)
    ia3 = apply_strategy(load_classifier(str(tiny_bert), LABELS), StrategyConfig("ia3"))
    np.testing.assert_allclose(encode(ia3, tok, texts), base, atol=1e-6)  # vectors start at 1
    with torch.no_grad():
        for name, p in ia3.named_parameters():
            if ".ia3_l." in name:
                p.uniform_(0.2, 2.0)
    assert np.abs(encode(ia3, tok, texts) - base).max() > 1e-3  # the probe sees IA3
    prompt = apply_strategy(
        load_classifier(str(tiny_bert), LABELS), StrategyConfig("prompt-tuning")
    )
    with torch.no_grad():
        prompt.prompt_encoder["default"].embedding.weight.normal_(0, 3)
    # Virtual tokens live in the peft forward only: the encoder the probe runs is untouched.
    np.testing.assert_allclose(encode(prompt, tok, texts), base, atol=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("strategy", ["ia3", "prompt-tuning"])
def test_finetune_classifier_cli_end_to_end(tiny_bert, tmp_path, capsys, strategy):
    import json

    from day3.cli.main import main

    out = tmp_path / "run"
    argv = ["finetune-classifier", "--model", str(tiny_bert), "--data", "embedded"]
    argv += ["--strategy", strategy, "--max-train-samples", "16", "--max-eval-samples", "8"]
    argv += ["--epochs", "1", "--batch-size", "8", "--output", str(out), "--device", "cpu"]
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["strategy"] == strategy and 0 < summary["trainable_percent"] < 1
    assert main(["predict", str(out), "a wonderful film"]) == 0
    label, score, text = capsys.readouterr().out.strip().split("\t")
    # The same adapter loaded by plain peft on its base: the CLI applied the trained adapter
    # and head (a base without them, or another head, gives other probabilities).
    import torch
    from peft import PeftConfig, PeftModel
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    config = PeftConfig.from_pretrained(out)
    base = AutoModelForSequenceClassification.from_pretrained(
        config.base_model_name_or_path, id2label=LABELS, label2id={v: k for k, v in LABELS.items()}
    )
    model = PeftModel.from_pretrained(base, out).eval()
    tok = AutoTokenizer.from_pretrained(out)
    with torch.no_grad():
        probs = model(**tok([text], return_tensors="pt")).logits.softmax(-1)[0]
    assert text == "a wonderful film"
    assert label == LABELS[int(probs.argmax())]
    assert float(score) == pytest.approx(float(probs.max()), abs=1e-4)


def test_dora_adds_a_magnitude_per_output_to_lora(tiny_bert):
    """DoRA (added in classifier/strategies.py alone): LoRA's A and B, plus one magnitude
    vector per adapted projection, and the same head."""
    lora = trainable_names(
        apply_strategy(load_classifier(str(tiny_bert), LABELS), StrategyConfig("lora", lora_r=4))
    )
    dora = trainable_names(apply_strategy(load_classifier(str(tiny_bert), LABELS),
                                          StrategyConfig.parse("dora:4")))  # fmt: skip
    magnitudes = {n for n in dora if "lora_magnitude_vector" in n}
    assert len(magnitudes) == 2 * 2  # query and value, 2 layers
    assert dora - magnitudes == lora
    assert StrategyConfig.parse("dora:4").label == "dora:4"
