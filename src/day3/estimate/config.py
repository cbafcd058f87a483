"""`EstimateConfig`: one fine-tuning setting to estimate, validated once. Its fields are
`day3 estimate`'s flags (day3.core.flags): help, default and check exist here only."""

from __future__ import annotations

from dataclasses import dataclass

from day3.core import checks
from day3.core.errors import UserError
from day3.core.flags import option
from day3.estimate.hardware import HARDWARE, get_hardware

METHODS = ("full", "lora", "qlora", "frozen")
METHOD_CHOICES = "full, lora, lora:R, qlora, qlora:R, frozen"
PRECISIONS = ("fp32", "bf16", "fp16", "int8", "int4")
OPTIMIZERS = ("adamw", "adamw8bit", "sgd", "adafactor")


def _default_rank() -> int:
    from day3.classifier.strategies import StrategyConfig

    return StrategyConfig.lora_r  # the kit's LoRA rank (16), said once


@dataclass
class EstimateConfig:
    """`day3 estimate`: memory (weights, gradients, optimizer, activations, runtime) and
    compute (FLOPs, time at an MFU) of one fine-tuning setting, on paper, offline."""

    model: str = option(
        "minilm",
        help="a count (7e9, 125M), a shipped config (llama-2-7b, llama-3-8b, flan-t5-small|base|"
        "large, distilbert-base, bert-base), an alias (minilm, tiny-bert) or a folder",
    )
    method: str = option("full", help="full | lora | lora:R | qlora | qlora:R | frozen")
    precision: str | None = option(
        None, help="fp32 | bf16 | fp16 | int8 | int4 (default: bf16; int4 for qlora)"
    )
    optimizer: str = option("adamw", help="adamw | adamw8bit | sgd | adafactor")
    batch_size: int = option(8, help="sequences per step")
    seq_len: int = option(128, help="tokens per sequence")
    grad_checkpointing: bool = option(
        False, help="recompute each layer in the backward pass (keeps only its input)"
    )
    fused_attention: bool = option(
        False, help="a FlashAttention-style kernel: the s×s attention scores are not kept"
    )
    tokens: float | None = option(
        None, help="training tokens for FLOPs and time (default: one step, batch × seq-len)"
    )
    hardware: str = option("cpu", help=" | ".join(HARDWARE) + " (peak FLOP/s, memory)")
    mfu: float = option(0.4, help="model FLOPs utilisation assumed for the time (0 < MFU <= 1)")
    json: bool = option(False, help="print one JSON object on stdout")
    measure: bool = option(
        False, help="also train --steps steps of this setting here and print the measured peak"
    )
    steps: int = option(3, help="--measure: training steps")

    def __post_init__(self) -> None:
        name, _, rank = str(self.method).strip().lower().partition(":")
        if name not in METHODS:
            raise UserError(f"unknown method '{self.method}'; choose one of {METHOD_CHOICES}")
        if rank and name not in ("lora", "qlora"):
            raise UserError(
                f"bad method '{self.method}': only lora and qlora take a rank; write e.g. lora:16"
            )
        if rank and (not rank.isdigit() or not 1 <= int(rank) <= checks.MAX_COUNT):
            raise UserError(
                f"bad method '{self.method}': the LoRA rank must be a positive integer; "
                "write e.g. lora:16"
            )
        self.kind = name  # full | lora | qlora | frozen
        self.rank = int(rank) if rank else _default_rank()
        self.precision = self._precision()
        if self.optimizer not in OPTIMIZERS:
            raise UserError(
                f"unknown optimizer '{self.optimizer}'; choose one of {', '.join(OPTIMIZERS)}"
            )
        get_hardware(self.hardware)  # an unknown name fails here, before any work
        self.hardware = self.hardware.lower()
        checks.count("batch_size", self.batch_size)
        checks.count("seq_len", self.seq_len)
        checks.count("steps", self.steps)
        if self.tokens is not None:
            checks.at_least("tokens", self.tokens, 1)
        checks.positive("mfu", self.mfu)
        if self.mfu > 1:
            raise UserError(f"--mfu must be at most 1 (got {self.mfu}); 0.3-0.5 is typical")

    def _precision(self) -> str:
        precision = self.precision or ("int4" if self.kind == "qlora" else "bf16")
        precision = str(precision).lower()
        if precision not in PRECISIONS:
            raise UserError(
                f"unknown precision '{self.precision}'; choose one of {', '.join(PRECISIONS)}"
            )
        if self.kind == "qlora" and precision != "int4":
            raise UserError(
                f"--method qlora means a 4-bit base, not {precision}; drop --precision, or use "
                f"--method lora --precision {precision}"
            )
        if self.kind == "full" and precision in ("int8", "int4"):
            raise UserError(
                f"--precision {precision} quantizes frozen weights, and full fine-tuning trains "
                "every weight; use --method qlora (or lora, frozen), or fp32, bf16, fp16"
            )
        return precision

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.rank}" if self.kind in ("lora", "qlora") else self.kind

    @property
    def step_tokens(self) -> int:
        return self.batch_size * self.seq_len
