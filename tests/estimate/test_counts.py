"""Parameter counts from configs built on the meta device, against published and hand-derived
numbers, and against the real models the kit trains (MiniLM loaded, peft applied)."""

from __future__ import annotations

import json

import pytest

from day3.estimate.catalog import SHIPPED, load_config, resolve_source
from day3.estimate.memory import run_estimate
from day3.estimate.shapes import build_inventory


def inventory(name: str):
    return build_inventory(load_config(resolve_source(name)))


# (shipped config, the AutoModel part, everything the kit trains). BERT and DistilBERT train
# as 2-class classifiers: + classifier (768·2 + 2); DistilBERT also + pre_classifier
# (768·768 + 768). Llama's total includes lm_head (32000·4096; 128256·4096 for Llama-3).
# T5: transformers 5 ties lm_head to the shared embeddings, so the in-memory count is the
# published one minus vocab·d_model (Flan-T5 small: 76,961,152 - 32128·512).
COUNTS = [
    ("bert-base", 109_482_240, 109_482_240 + 768 * 2 + 2),
    ("distilbert-base", 66_362_880, 66_362_880 + 768 * 768 + 768 + 768 * 2 + 2),
    ("llama-2-7b", 6_738_415_616 - 32000 * 4096, 6_738_415_616),
    ("llama-3-8b", 8_030_261_248 - 128256 * 4096, 8_030_261_248),
    ("flan-t5-small", 76_961_152 - 32128 * 512, 76_961_152 - 32128 * 512),
    ("flan-t5-base", 247_577_856 - 32128 * 768, 247_577_856 - 32128 * 768),
    ("flan-t5-large", 783_150_080 - 32128 * 1024, 783_150_080 - 32128 * 1024),
]


@pytest.mark.parametrize(("name", "base", "total"), COUNTS, ids=[c[0] for c in COUNTS])
def test_shipped_configs_count_the_published_parameters(name, base, total):
    inv = inventory(name)
    assert (inv.base, inv.total) == (base, total)


def test_every_shipped_config_is_tested_and_shipped_as_package_data():
    from day3.estimate.catalog import CONFIGS

    assert sorted(SHIPPED) == sorted(c[0] for c in COUNTS)
    for name in SHIPPED:
        assert json.loads((CONFIGS / name / "config.json").read_text())["model_type"]


def test_minilm_counts_its_published_22_7m_and_the_kit_head():
    inv = inventory("minilm")
    assert inv.base == 22_713_216  # BertModel with its pooler, no classifier
    assert inv.total == 22_713_216 + 384 * 2 + 2
    assert inv.head == 384 * 384 + 384 + 384 * 2 + 2  # pooler + classifier (the kit's head)


def test_hub_ids_and_catalogue_aliases_reach_the_shipped_configs():
    assert resolve_source("distilbert").config_dir.name == "distilbert-base"
    assert resolve_source("meta-llama/Llama-2-7b-hf").config_dir.name == "llama-2-7b"
    assert resolve_source("flan-t5").config_dir.name == "flan-t5-small"


def test_meta_counts_equal_the_real_minilm_with_peft_applied():
    """The estimate's trainable and total counts are what peft itself reports on the model
    the kit trains (LoRA r=8 on query/value, the head in full)."""
    from day3.classifier.strategies import StrategyConfig, apply_strategy, count_parameters
    from day3.models.loading import embedded_minilm_dir, load_classifier

    model = load_classifier(str(embedded_minilm_dir()), {0: "negative", 1: "positive"})
    assert sum(p.numel() for p in model.parameters()) == inventory("minilm").total
    peft_model = apply_strategy(model, StrategyConfig(name="lora", lora_r=8))
    trainable, _ = count_parameters(peft_model)
    est = run_estimate(model="minilm", method="lora:8")
    assert est.params_trainable == trainable == 6 * 2 * 8 * (384 + 384) + 148_610
    every = sum(p.numel() for p in peft_model.parameters())  # the head's original copy too
    assert est.params_total == every


def test_lora_of_a_7b_adapts_q_and_v_of_every_layer():
    est = run_estimate(model="llama-2-7b", method="lora:16")
    assert est.params_trainable == 32 * 2 * 16 * (4096 + 4096)  # nothing else for a causal LM
    frozen = run_estimate(model="llama-2-7b", method="frozen")
    assert frozen.params_trainable == 32000 * 4096  # the LM head


def test_a_run_folder_counts_its_own_classes_and_an_adapter_folder_its_base(tmp_path, tiny_bert):
    config = json.loads((tiny_bert / "config.json").read_text())
    run = tmp_path / "run"
    run.mkdir()
    labels = {"0": "a", "1": "b", "2": "c"}
    config |= {"architectures": ["BertForSequenceClassification"], "id2label": labels}
    (run / "config.json").write_text(json.dumps(config))
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text(
        json.dumps({"base_model_name_or_path": str(tiny_bert), "peft_type": "LORA"})
    )
    two_classes = inventory(str(tiny_bert)).total  # the kit's default head: 2 classes
    three = two_classes - (32 * 2 + 2) + (32 * 3 + 3)  # hidden size 32
    assert run_estimate(model=str(run)).params_total == three
    assert run_estimate(model=str(adapter)).params_total == two_classes


@pytest.mark.parametrize(
    ("text", "count"),
    [("7e9", 7_000_000_000), ("125M", 125_000_000), ("1.3B", 1_300_000_000), ("66_000", 66_000)],
)
def test_bare_counts_parse(text, count):
    assert run_estimate(model=text, precision="fp32").params_total == count
