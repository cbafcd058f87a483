"""`Estimate`: the numbers of one setting, each with its formula, ready for JSON."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field


@dataclass
class Estimate:
    """One setting's memory (bytes) and compute; `formulas` says how each number came about."""

    model: str
    source: str
    model_type: str | None
    task: str | None
    method: str
    precision: str
    optimizer: str
    hardware: str
    batch_size: int
    seq_len: int
    tokens: int
    params_total: int
    params_trainable: int
    params_base: int | None  # the AutoModel part (BertModel, LlamaModel); None: a bare count
    params_matmul: int  # N of 6·N·D
    weights_bytes: int
    gradients_bytes: int
    optimizer_bytes: int
    activations_bytes: int | None  # None: a bare count has no shapes
    runtime_bytes: int
    total_bytes: int
    train_flops: float
    seconds: float  # train_flops / (peak_flops · mfu)
    peak_flops: float
    mfu: float
    memory_bytes: int | None  # the hardware's memory
    fits: bool | None
    activation_variants: dict[str, int] = field(default_factory=dict)
    formulas: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    measured_peak_bytes: int | None = None
    measured: dict | None = None  # what --measure saw (baseline, device, allocator, seconds)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)
