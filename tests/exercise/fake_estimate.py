"""A stand-in for `day3.estimate.memory` with exactly the API the final exercise's task 3 codes
against (EstimateConfig(model=, method=, optimizer=, batch_size=, seq_len=), precision left to
its default, and run_estimate(config).total_bytes), so that the task's grading is tested on
numbers the tests know; in a grading worker it stands in only while the real estimator does not
import (see `install`).

The numbers are a rough but ordered model of training memory: full > lora > qlora > frozen
for one setting, and the budget between them depends on the batch, the length and the
optimizer, as it does in the real thing.
"""

from __future__ import annotations

import sys
import types
from dataclasses import dataclass, field

from day3.core.errors import UserError

# model -> (parameters, hidden size, layers)
SIZES = {"minilm": (22_700_000, 384, 6), "tiny-bert": (1_000_000, 32, 2)}
BYTES = {"fp32": 4, "bf16": 2}
OPTIMIZER_BYTES = {"adamw": 8, "sgd": 4}  # state per trained parameter, fp32


@dataclass
class EstimateConfig:
    model: str
    method: str = "full"
    precision: str = field(default="bf16", metadata={"choices": ("fp32", "bf16")})
    optimizer: str = field(default="adamw", metadata={"choices": ("adamw", "sgd")})
    batch_size: int = 8
    seq_len: int = 128


@dataclass
class Estimate:
    total_bytes: int


def run_estimate(config: EstimateConfig) -> Estimate:
    if config.model not in SIZES:
        raise UserError(f"no size known for {config.model!r}")
    params, hidden, layers = SIZES[config.model]
    width = BYTES[config.precision]
    tokens = config.batch_size * config.seq_len
    activations = tokens * hidden * layers * 16 * width
    name = config.method.partition(":")[0]
    trained = {"full": params, "lora": params // 100, "qlora": params // 100, "frozen": 0}[name]
    weights = params * width if name != "qlora" else params // 2
    if name == "frozen":
        activations //= layers * 8  # no backward through the frozen backbone
    total = weights + trained * (4 + OPTIMIZER_BYTES[config.optimizer]) + activations
    return Estimate(int(total))


def real_estimator_imports() -> bool:
    try:
        import day3.estimate.memory  # noqa: F401
    except ImportError:
        return False
    return True


def install(force: bool = False) -> bool:
    """Put this module in place of day3.estimate.memory unless the real one imports (or even
    then, `force`); True when it did."""
    if force or not real_estimator_imports():
        package = types.ModuleType("day3.estimate")
        package.__path__ = []
        package.memory = sys.modules[__name__]
        sys.modules["day3.estimate"] = package
        sys.modules["day3.estimate.memory"] = sys.modules[__name__]
        return True
    return False
