"""From a resolved model to an `Estimate`: the parameter plan of the method, then each cost
with its formula (costs.py, activations.py), the runtime baseline, FLOPs and time."""

from __future__ import annotations

import functools

from day3.core.errors import UserError
from day3.estimate import activations as act
from day3.estimate import costs
from day3.estimate.catalog import ModelSource, load_config
from day3.estimate.config import EstimateConfig
from day3.estimate.hardware import Hardware, get_hardware, host_memory_bytes
from day3.estimate.result import Estimate
from day3.estimate.shapes import Inventory, build_inventory, lora_targets


def estimate_from_source(c: EstimateConfig, source: ModelSource):
    """(Estimate, Inventory or None for a bare count)."""
    hw = get_hardware(c.hardware)
    if source.params is not None:
        _check_bare(c)
        return _estimate(c, source, hw, None, costs.bare_plan(source.params)), None
    stamp = (source.config_dir / "config.json").stat().st_mtime_ns
    inv = _inventory(source, str(source.config_dir), stamp)
    family = "lora" if c.kind in ("lora", "qlora") else c.kind
    targets = lora_targets(inv.model_type) if family == "lora" else []
    return _estimate(c, source, hw, inv, costs.plan(inv, family, c.rank, targets)), inv


@functools.lru_cache(maxsize=32)
def _inventory(source: ModelSource, folder: str, stamp: int) -> Inventory:
    """One meta build per config file (and version of it): a comparison of methods, optimizers
    or budgets estimates the same model many times."""
    return build_inventory(load_config(source))


def _check_bare(c: EstimateConfig) -> None:
    """A bare count has no shapes: no adapter sizes, head, factored states or activations."""
    if c.kind != "full":
        raise UserError(
            f"--method {c.label} needs the architecture (which weights adapt or train); pass "
            "--model as a config (llama-2-7b, bert-base, ...) or a folder, not a bare count"
        )
    if c.optimizer == "adafactor":
        raise UserError(
            "adafactor's states depend on the weight shapes; pass --model as a config "
            "(llama-2-7b, ...) or a folder, or pick adamw, adamw8bit or sgd"
        )


def _estimate(
    c: EstimateConfig, source: ModelSource, hw: Hardware, inv: Inventory | None, p: costs.Params
) -> Estimate:
    family = "lora" if c.kind in ("lora", "qlora") else c.kind
    w, w_text = costs.weights(p, c.precision)
    g, g_text = costs.gradients(p)
    o, o_text = costs.optimizer_states(p, c.optimizer)
    a, variants, a_text = _activations(c, hw, inv, p, family)
    tokens = int(c.tokens) if c.tokens is not None else c.step_tokens
    head_matmul = inv.head_matmul if inv is not None else 0
    flops, f_text = costs.train_flops(p, family, tokens, head_matmul, c.grad_checkpointing)
    compute_dtype = "fp32" if c.precision == "fp32" else "fp16" if c.precision == "fp16" else "bf16"
    peak = hw.flops_for(compute_dtype)
    total = w + g + o + (a or 0) + hw.runtime_bytes
    memory = hw.memory_bytes if hw.is_gpu else host_memory_bytes()
    formulas = {
        "weights": w_text,
        "gradients": g_text,
        "optimizer": o_text,
        "activations": a_text,
        "runtime": f"fixed: {_runtime_text(hw)}",
        "train_flops": f_text,
        "seconds": f"FLOPs / ({compute_dtype} peak {peak:.3g} FLOP/s · MFU {c.mfu:g}); "
        f"peak from {hw.source}",
    }
    return Estimate(
        model=c.model,
        source=source.describe,
        model_type=inv.model_type if inv else None,
        task=inv.task if inv else None,
        method=c.label,
        precision=c.precision,
        optimizer=c.optimizer,
        hardware=hw.name,
        batch_size=c.batch_size,
        seq_len=c.seq_len,
        tokens=tokens,
        params_total=p.total,
        params_trainable=p.trainable,
        params_base=inv.base if inv else None,
        params_matmul=p.matmul,
        weights_bytes=w,
        gradients_bytes=g,
        optimizer_bytes=o,
        activations_bytes=a,
        runtime_bytes=hw.runtime_bytes,
        total_bytes=total,
        train_flops=float(flops),
        seconds=flops / (peak * c.mfu),
        peak_flops=peak,
        mfu=c.mfu,
        memory_bytes=memory,
        fits=None if memory is None else total <= memory,
        activation_variants=variants,
        formulas=formulas,
        notes=_notes(c, inv),
    )


def _runtime_text(hw: Hardware) -> str:
    if hw.is_gpu:
        return "the CUDA context and cuBLAS workspace (torch.cuda.max_memory_allocated omits it)"
    return "torch + transformers + peft resident after import (measured on the course machine)"


def _activations(c: EstimateConfig, hw: Hardware, inv: Inventory | None, p, family: str):
    """(bytes or None, the variants, the formula text)."""
    if inv is None:
        return None, {}, "needs the layer shapes: pass --model as a config or folder (not counted)"
    z = act.element_sizes("fp32" if c.precision == "fp32" else "bf16", hw.is_gpu)
    sh, b, s = inv.shape, c.batch_size, c.seq_len

    def run(fused: bool) -> act.Activations:
        return act.activation_bytes(sh, z, family, b, s, fused, p.adapter_inputs, c.rank)

    plain, fused = run(False), run(True)
    chosen = fused if c.fused_attention else plain
    value = chosen.full_recompute if c.grad_checkpointing else chosen.none
    variants = {
        "no_recompute": int(plain.none),
        "fused_attention": int(fused.none),
        "full_recompute": int(chosen.full_recompute),
        "korthikanti_paper": int(act.korthikanti(sh, b, s)),
    }
    how = f"full recomputation: L·s·b·h·{z.norm} + one layer" if c.grad_checkpointing else "none"
    text = (
        f"{chosen.formula} [recompute: {how}; elements: {z.act} bytes, attention/norm "
        f"{z.attn}/{z.norm}, masks {z.mask_hidden}]; paper (16-bit, all training): "
        f"L·s·b·h·(34 + 5·a·s/h) = {variants['korthikanti_paper']:,} bytes"
    )
    return int(value), variants, text


def _notes(c: EstimateConfig, inv: Inventory | None) -> list[str]:
    notes = []
    if inv is None:
        notes.append(
            "activations need a config (layer shapes): pass --model llama-2-7b, bert-base, "
            "a folder or an alias; the total leaves them out"
        )
    elif inv.task == "seq2seq-lm":
        notes.append("seq2seq: --seq-len is used for the encoder and the decoder")
    if c.kind == "qlora" or c.precision in ("int8", "int4"):
        notes.append("quantized base: bitsandbytes needs a CUDA GPU; --measure cannot run it")
    if c.fused_attention:
        notes.append("fused attention: the s×s scores are recomputed, not kept")
    return notes
