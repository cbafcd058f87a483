"""Memory and compute of a fine-tuning setting, on paper and offline: parameter counts from a
config on the meta device (shapes, catalog), bytes and FLOPs (costs, activations), the
hardware table, the estimate itself (config, compute, memory: `run_estimate`), its report, and
`--measure`'s real training steps beside it (measure, benchmark)."""
