"""The estimator's arithmetic, on paper: the rules of thumb any of its numbers must obey, and
the activation terms against the paper and against what autograd really keeps."""

from __future__ import annotations

import pytest

from day3.estimate import activations as act
from day3.estimate.memory import Estimate, EstimateConfig, run_estimate

GB = 1e9


def states(e: Estimate) -> int:
    """Everything but activations and the runtime: what bytes-per-parameter rules count."""
    return e.weights_bytes + e.gradients_bytes + e.optimizer_bytes


def test_full_adamw_of_7b_is_16_to_18_bytes_per_parameter():
    mixed = run_estimate(model="7e9", precision="bf16", hardware="a100")
    fp32 = run_estimate(model="7e9", precision="fp32", hardware="a100")
    assert states(mixed) / 7e9 == 18  # 4 master + 2 bf16 copy + 4 grads + 8 AdamW
    assert states(fp32) / 7e9 == 16
    assert 112 * GB <= states(fp32) <= states(mixed) <= 126 * GB
    llama = run_estimate(model="llama-2-7b", hardware="a100")
    assert 16 <= states(llama) / llama.params_total <= 18
    assert llama.activations_bytes > 0 and llama.total_bytes > states(llama)


def test_lora_needs_the_16_bit_weights_plus_a_small_fraction():
    lora = run_estimate(model="llama-2-7b", method="lora:16", hardware="a100")
    base = 2 * 6_738_415_616  # bf16 frozen weights
    assert base < states(lora) < 1.02 * base
    full = run_estimate(model="llama-2-7b", hardware="a100")
    assert states(lora) < 0.12 * states(full)


def test_qlora_comes_out_below_lora():
    lora = run_estimate(model="llama-2-7b", method="lora:16", hardware="a100")
    qlora = run_estimate(model="llama-2-7b", method="qlora:16", hardware="a100")
    assert qlora.precision == "int4"
    assert qlora.weights_bytes < 0.35 * lora.weights_bytes
    assert qlora.total_bytes < lora.total_bytes
    # NF4: half a byte per linear weight + double-quantized constants (~0.127 bit); the
    # embeddings and lm_head (262,410,240) stay bf16; the adapters are fp32 + bf16 copy.
    linears = 32 * (4 * 4096 * 4096 + 3 * 4096 * 11008)
    constants = linears / 64 + 4 * linears / 64 / 256
    expected = linears / 2 + constants + 2 * 262_410_240 + 6 * 8_388_608
    assert qlora.weights_bytes == pytest.approx(expected, rel=1e-4)
    int8 = run_estimate(model="llama-2-7b", method="lora:16", precision="int8", hardware="a100")
    assert qlora.weights_bytes < int8.weights_bytes < lora.weights_bytes


@pytest.mark.parametrize("method", ["frozen", "lora:16"])
def test_gradients_and_optimizer_count_trainable_parameters_only(method):
    full = run_estimate(model="llama-2-7b", hardware="a100")
    small = run_estimate(model="llama-2-7b", method=method, hardware="a100")
    assert small.gradients_bytes == 4 * small.params_trainable
    assert small.optimizer_bytes == 8 * small.params_trainable
    assert small.gradients_bytes < 0.02 * full.gradients_bytes
    assert small.optimizer_bytes < 0.02 * full.optimizer_bytes


def test_optimizers_keep_what_they_should():
    def opt(name: str, method: str = "full") -> int:
        return run_estimate(model="minilm", method=method, optimizer=name).optimizer_bytes

    assert opt("sgd") * 2 == opt("adamw")
    assert opt("adamw") / 4 < opt("adamw8bit") < opt("adamw") / 3.9  # + absmax per 2048
    # Adafactor on MiniLM's head: pooler 384x384 -> 384 + 384, its bias 384, classifier
    # 2x384 -> 2 + 384, its bias 2: 1,540 fp32 values.
    assert opt("adafactor", "frozen") == 4 * 1540


def test_gradient_checkpointing_and_fused_attention_lower_activations():
    plain = run_estimate(model="bert-base", batch_size=16, seq_len=512)
    ckpt = run_estimate(model="bert-base", batch_size=16, seq_len=512, grad_checkpointing=True)
    fused = run_estimate(model="bert-base", batch_size=16, seq_len=512, fused_attention=True)
    assert ckpt.activations_bytes < 0.2 * plain.activations_bytes
    assert fused.activations_bytes < plain.activations_bytes
    assert ckpt.train_flops == pytest.approx(plain.train_flops * 8 / 6)  # one more forward


def test_training_flops_are_6_n_d():
    e = run_estimate(model="llama-2-7b", tokens=1e9, hardware="h100")
    matmuls = 32 * (4 * 4096 * 4096 + 3 * 4096 * 11008) + 32000 * 4096  # embeddings excluded
    assert e.params_matmul == matmuls
    assert e.train_flops == 6 * matmuls * 1e9
    assert e.seconds == pytest.approx(e.train_flops / (989.4e12 * 0.4))
    lora = run_estimate(model="llama-2-7b", method="lora", tokens=1e9, hardware="h100")
    assert lora.train_flops == pytest.approx(4 / 6 * e.train_flops, rel=0.01)
    step = run_estimate(model="minilm", batch_size=4, seq_len=32)
    assert step.tokens == 128


def test_the_layer_terms_reduce_to_korthikanti_on_a_gpu():
    """16-bit, 1-byte masks, a 4h GeLU MLP, dropout, every weight training: eq. 1 exactly."""
    sh = act.Shape(768, 3072, 12, 12, 64, 12, 0, 30522, False, True, True, True, False)
    layer = act.layer_bytes(sh, act.element_sizes("bf16", on_gpu=True), True, False, False)
    assert layer.per_token == 34 * 768
    assert layer.per_score == 5
    full = act.activation_bytes(sh, act.element_sizes("bf16", True), "full", 8, 512)
    assert full.full_recompute < full.none
    assert full.none == pytest.approx(act.korthikanti(sh, 8, 512), rel=0.01)  # + embeddings


def test_a_bare_count_has_no_activations_and_says_so():
    e = run_estimate(model="125M")
    assert e.activations_bytes is None
    assert e.total_bytes == states(e) + e.runtime_bytes
    assert any("activations need a config" in n for n in e.notes)


def test_to_dict_holds_the_json_fields():
    d = run_estimate(EstimateConfig(model="tiny-bert")).to_dict()
    for key in ("weights_bytes", "gradients_bytes", "optimizer_bytes", "activations_bytes"):
        assert isinstance(d[key], int) and d[key] > 0
    parts = sum(d[k] for k in ("weights_bytes", "gradients_bytes", "optimizer_bytes"))
    assert d["total_bytes"] == parts + d["activations_bytes"] + d["runtime_bytes"]
    assert d["train_flops"] > 0 and d["measured_peak_bytes"] is None


def _saved_bytes(model, batch: dict, bf16: bool) -> int:
    """What autograd keeps after one forward pass: every tensor saved in the graph, once,
    parameters (and autocast's weight copies) excluded."""
    import torch

    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        loss = model(**batch).loss
    weights = {p.untyped_storage().data_ptr() for p in model.parameters()}
    seen, stack, visited = {}, [loss.grad_fn], set()
    while stack:
        node = stack.pop()
        if node is None or node in visited:
            continue
        visited.add(node)
        for name in dir(node):
            if name.startswith("_saved_"):
                for t in _tensors(node, name):
                    key = t.untyped_storage().data_ptr()
                    is_copy = t.dim() == 2 and tuple(t.shape) in _weight_shapes(model)
                    if key not in weights and not (bf16 and is_copy):
                        seen[key] = t.untyped_storage().nbytes()
        stack += [n for n, _ in node.next_functions]
    return sum(seen.values())


def _tensors(node, name: str) -> list:
    import torch

    try:
        value = getattr(node, name)
    except RuntimeError:
        return []
    values = value if isinstance(value, (tuple, list)) else [value]
    return [v for v in values if isinstance(v, torch.Tensor)]


def _weight_shapes(model) -> set:
    return {tuple(p.shape) for p in model.parameters() if p.dim() == 2}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("method", "precision"), [("full", "fp32"), ("lora", "fp32"), ("full", "bf16")]
)
def test_activations_match_what_autograd_keeps_on_minilm(method, precision):
    import torch

    from day3.classifier.strategies import StrategyConfig, apply_strategy
    from day3.models.loading import embedded_minilm_dir, load_classifier

    b, s = 4, 48
    model = load_classifier(str(embedded_minilm_dir()), {0: "negative", 1: "positive"})
    model = apply_strategy(model, StrategyConfig(name=method)).train()
    gen = torch.Generator().manual_seed(0)
    batch = {
        "input_ids": torch.randint(1000, 30000, (b, s), generator=gen),
        "attention_mask": torch.ones(b, s, dtype=torch.long),
        "labels": torch.tensor([0, 1, 0, 1]),
    }
    saved = _saved_bytes(model, batch, precision == "bf16")
    est = run_estimate(model="minilm", method=method, precision=precision, batch_size=b, seq_len=s)
    assert est.activations_bytes == pytest.approx(saved, rel=0.03)
