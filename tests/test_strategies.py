import pytest

from day3.errors import UserError
from day3.models import load_classifier
from day3.strategies import StrategyConfig, apply_strategy, count_parameters

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
    "fixture,targets", [("tiny_bert", ("query", "value")), ("tiny_distilbert", ("q_lin", "v_lin"))]
)
def test_lora_trains_only_adapters_and_the_head(request, fixture, targets):
    model = apply_strategy(
        load_classifier(str(request.getfixturevalue(fixture)), LABELS),
        StrategyConfig("lora", lora_r=4),
    )
    names = trainable_names(model)
    lora = {n for n in names if "lora_" in n}
    assert lora and all(any(f".{t}." in n for t in targets) for n in lora)
    rest = names - lora
    assert rest and all("modules_to_save" in n for n in rest)  # the head, trained in full
    assert any("classifier" in n for n in rest)


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
        ("lora:0", "at least 1"),
    ]:
        with pytest.raises(UserError, match=msg):
            StrategyConfig.parse(bad)
