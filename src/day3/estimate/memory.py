"""`day3 estimate`: how much memory and compute one fine-tuning setting needs, before renting it.

    from day3.estimate.memory import EstimateConfig, run_estimate
    est = run_estimate(EstimateConfig(model="llama-2-7b", method="qlora", hardware="a100"))
    est.total_bytes, est.train_flops, est.seconds, est.formulas["weights"]

Memory = weights + gradients + optimizer states (both for trainable parameters only) +
activations (Korthikanti et al. 2022) + a fixed runtime baseline; compute = ~6·N·D at a stated
MFU on a peak-FLOP/s table. Parameter counts come from the config built on the meta device,
offline. `--measure` trains a few steps of the same setting here and reports the real peak.
The formulas are in costs.py (bytes, FLOPs) and activations.py; every number prints its own.
"""

from __future__ import annotations

from day3.estimate.catalog import resolve_source
from day3.estimate.compute import estimate_from_source
from day3.estimate.config import EstimateConfig
from day3.estimate.result import Estimate

__all__ = ["Estimate", "EstimateConfig", "run_estimate"]


def run_estimate(config: EstimateConfig | None = None, **settings) -> Estimate:
    """The estimate of one setting (give a config, or its fields by name); with `measure`, the
    measured peak of a few real training steps too."""
    c = config or EstimateConfig(**settings)
    source = resolve_source(c.model)
    estimate, inventory = estimate_from_source(c, source)
    if c.measure:
        from day3.estimate.measure import measure_into

        measure_into(estimate, c, source, inventory)
    return estimate
