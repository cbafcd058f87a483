"""Bytes of weights, gradients and optimizer states, and the FLOPs of training: the arithmetic,
each with the formula it prints. P_t: trainable parameters; P_f: frozen ones.

Mixed precision (bf16, fp16) is what the kit's Trainer does (torch autocast) and what Hugging
Face's "model memory anatomy" counts: a trainable weight lives in fp32 (the master copy the
optimizer updates, 4 bytes) and autocast casts it to 16 bits for each matmul (a 2-byte copy,
kept for the backward pass); gradients land on the fp32 weights (4 bytes). A frozen weight is
simply stored in 16 bits (2 bytes), or quantized (int8, int4: QLoRA's NF4). So full AdamW is
4 + 2 + 4 + 8 = 18 bytes per parameter in mixed precision and 4 + 4 + 8 = 16 in fp32, the
16-18 of Rajbhandari et al. 2020 (ZeRO) and of "Transformer Math 101" (EleutherAI 2023).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from day3.estimate.shapes import Inventory, adapted

NF4_BLOCK = 64  # QLoRA (Dettmers et al. 2023): one absmax per 64 weights...
NF4_BLOCK2 = 256  # ... itself quantized to 8 bits, with one fp32 constant per 256 of them
ADAM8_BLOCK = 2048  # bitsandbytes' 8-bit optimizers: one fp32 absmax per 2048 values per state


@dataclass(frozen=True)
class Params:
    """How one method splits the model's parameters."""

    total: int  # in memory, LoRA adapters included
    trainable: int
    trainable_matmul: int  # trainable parameters of matmuls: autocast keeps a 16-bit copy
    frozen: int
    frozen_quantizable: int  # frozen nn.Linear weights outside the head (what int8/int4 packs)
    quantized_rows: int  # their output rows (LLM.int8 keeps one fp32 scale per row)
    head_copy: int  # peft's modules_to_save keeps the original head beside the trained copy
    adapters: int
    adapter_inputs: tuple[int, ...]  # the input width of each adapted linear
    trainable_shapes: tuple[tuple[int, ...], ...]  # for Adafactor's factored states
    matmul: int  # N: parameters a token multiplies through


def plan(inv: Inventory, method: str, rank: int, targets: list[str]) -> Params:
    """`method`: full, lora (qlora is lora on an int4 base), frozen."""
    body = [lin for lin in inv.linears if not lin.head]
    quantizable = sum(lin.d_in * lin.d_out for lin in body)
    rows = sum(lin.d_out for lin in body)
    if method == "full":
        shapes = tuple(s for _, s, _ in inv.params)
        return Params(inv.total, inv.total, inv.matmul, 0, 0, 0, 0, 0, (), shapes, inv.matmul)
    head_shapes = tuple(s for _, s, h in inv.params if h)
    if method == "frozen":
        return Params(
            inv.total, inv.head, inv.head_matmul, inv.total - inv.head, quantizable, rows,
            0, 0, (), head_shapes, inv.matmul,
        )  # fmt: skip
    lins = adapted(inv, targets)
    lora_shapes = tuple(s for lin in lins for s in ((rank, lin.d_in), (lin.d_out, rank)))
    adapters = sum(rank * (lin.d_in + lin.d_out) for lin in lins)
    head = inv.head if inv.task == "classification" else 0  # the kit trains a new head too
    head_matmul = inv.head_matmul if head else 0
    return Params(
        total=inv.total + adapters + head,
        trainable=adapters + head,
        trainable_matmul=adapters + head_matmul,
        frozen=inv.total - head,
        frozen_quantizable=quantizable,
        quantized_rows=rows,
        head_copy=head,
        adapters=adapters,
        adapter_inputs=tuple(lin.d_in for lin in lins),
        trainable_shapes=lora_shapes + (head_shapes if head else ()),
        matmul=inv.matmul + adapters,
    )


def bare_plan(count: int) -> Params:
    """A bare count trains in full; every parameter is taken as a matmul's."""
    return Params(count, count, count, 0, 0, 0, 0, 0, (), (), count)


def _n(x: float) -> str:
    return f"{x:,.0f}"


def weights(p: Params, precision: str) -> tuple[int, str]:
    """(bytes, formula) of the weights in memory."""
    frozen_b = 4 if precision == "fp32" else 2
    half = "fp16" if precision == "fp16" else "bf16"  # int8/int4 bases compute in bf16
    parts, text = [], []
    if precision == "fp32":
        parts.append(4 * p.trainable)
        text.append(f"4·P_t ({_n(p.trainable)})")
    elif p.trainable:
        parts += [4 * p.trainable, 2 * p.trainable_matmul]
        text.append(
            f"4·P_t ({_n(p.trainable)}, fp32 master) + 2·P_t,matmul ({_n(p.trainable_matmul)}, "
            f"{half} copy for autocast)"
        )
    quantized = p.frozen_quantizable if precision in ("int8", "int4") else 0
    floating = p.frozen - quantized + p.head_copy
    if floating:
        parts.append(frozen_b * floating)
        text.append(
            f"{frozen_b}·P_f ({_n(floating)}, frozen, {'fp32' if frozen_b == 4 else '16-bit'})"
        )
    if precision == "int8":
        parts.append(quantized + 4 * p.quantized_rows)
        text.append(f"1·{_n(quantized)} (int8 linears) + 4·{_n(p.quantized_rows)} (row scales)")
    if precision == "int4":
        blocks = math.ceil(quantized / NF4_BLOCK)
        parts.append(math.ceil(quantized / 2) + blocks + 4 * math.ceil(blocks / NF4_BLOCK2))
        text.append(
            f"0.5·{_n(quantized)} (NF4 linears) + 1·{_n(blocks)} (8-bit absmax per 64) "
            f"+ 4·{_n(math.ceil(blocks / NF4_BLOCK2))} (fp32 per 256 blocks)"
        )
    return int(sum(parts)), " + ".join(text) or "0"


def gradients(p: Params) -> tuple[int, str]:
    return 4 * p.trainable, f"4·P_t ({_n(p.trainable)}): fp32 gradients of the trainable weights"


def optimizer_states(p: Params, optimizer: str) -> tuple[int, str]:
    t = p.trainable
    if optimizer == "adamw":
        return 8 * t, f"8·P_t ({_n(t)}): AdamW's m and v in fp32"
    if optimizer == "adamw8bit":
        absmax = 2 * 4 * math.ceil(t / ADAM8_BLOCK)
        return 2 * t + absmax, f"2·P_t ({_n(t)}): 8-bit m and v + 2·4 bytes per {ADAM8_BLOCK}"
    if optimizer == "sgd":
        return 4 * t, f"4·P_t ({_n(t)}): SGD's momentum buffer in fp32"
    floats = sum(_factored(s) for s in p.trainable_shapes)
    return 4 * floats, (
        f"4·Σ(rows + cols) over trainable matrices, 4·numel over vectors ({_n(floats)} floats):"
        " Adafactor's factored second moment, no first moment"
    )


def _factored(shape: tuple[int, ...]) -> int:
    if len(shape) < 2:
        return math.prod(shape)
    return math.prod(shape[:-1]) + math.prod(shape[:-2]) * shape[-1]


def train_flops(p: Params, method: str, tokens: int, head_matmul: int, recompute: bool):
    """(FLOPs, formula): 2·N per token forward, 2·N backward for the activation gradients
    (through every layer the gradient crosses) and 2·N_t for the weight gradients (Kaplan et
    al. 2020's 6·N·D when everything trains). Recomputation adds one more forward."""
    n, d = p.matmul, tokens
    if method == "full":
        k = 8 if recompute else 6
        return k * n * d, f"{k}·N·D = {k}·{_n(n)}·{_n(d)}" + (
            " (+1 forward: recompute)" if recompute else ""
        )
    if method == "frozen":  # the gradient stops at the head
        return 2 * n * d + 4 * head_matmul * d, f"2·N·D + 4·N_head·D (N_head = {_n(head_matmul)})"
    k = 6 if recompute else 4
    flops = k * n * d + 2 * p.trainable_matmul * d
    text = f"{k}·N·D + 2·N_t·D (N = {_n(n)}, N_t = {_n(p.trainable_matmul)}, D = {_n(d)})"
    return flops, text + (": forward, activation grads, recompute" if recompute else "")
