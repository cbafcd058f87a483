"""Estimate vs measured peak over a grid of settings, as a markdown table on stdout.

    OMP_NUM_THREADS=1 taskset -c 1 python -m day3.estimate.benchmark                 # ~10 min
    OMP_NUM_THREADS=1 taskset -c 1 python -m day3.estimate.benchmark --precisions fp32 --models tiny-bert

Each row is `run_estimate(..., measure=True)`: its own child process trains `--steps` steps and
reports its peak RSS (CPU). Slow by design: never part of the test run.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from day3.core.flags import Parser, add_flags, build, option


@dataclass
class BenchmarkConfig:
    """Estimate vs measured: every model × method × precision × batch × sequence length."""

    models: tuple[str, ...] = option(("minilm", "tiny-bert"), help="models to measure")
    methods: tuple[str, ...] = option(("full", "lora"), help="methods")
    precisions: tuple[str, ...] = option(("fp32", "bf16"), help="precisions")
    batch_sizes: tuple[str, ...] = option(("8", "32", "128"), help="batch sizes")
    seq_lens: tuple[str, ...] = option(("64", "128"), help="sequence lengths")
    steps: int = option(2, help="training steps per row (the peak is reached in step 2)")


def rows(c: BenchmarkConfig):
    from day3.estimate.memory import EstimateConfig, run_estimate
    from day3.estimate.report import compared_bytes

    for model in c.models:
        for method in c.methods:
            for precision in c.precisions:
                for b in c.batch_sizes:
                    for s in c.seq_lens:
                        config = EstimateConfig(
                            model=model, method=method, precision=precision, batch_size=int(b),
                            seq_len=int(s), measure=True, steps=c.steps,
                        )  # fmt: skip
                        e = run_estimate(config)
                        target = compared_bytes(e)
                        yield e, target, e.measured_peak_bytes / target


def main(argv: list[str] | None = None) -> int:
    from day3.core.env import configure

    configure()
    parser = Parser(prog="python -m day3.estimate.benchmark", description=BenchmarkConfig.__doc__)
    c = build(BenchmarkConfig, add_flags(parser, BenchmarkConfig).parse_args(argv))
    mib = 2**20
    print("| model | method | precision | batch | seq | estimate MiB | measured MiB | ratio "
          "| activations MiB | baseline MiB | s/step |")  # fmt: skip
    print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for e, target, ratio in rows(c):
        m = e.measured or {}
        print(
            f"| {e.model} | {e.method} | {e.precision} | {e.batch_size} | {e.seq_len} | "
            f"{target / mib:,.0f} | {e.measured_peak_bytes / mib:,.0f} | {ratio:.2f} | "
            f"{(e.activations_bytes or 0) / mib:,.0f} | {m.get('baseline_bytes', 0) / mib:,.0f} | "
            f"{m.get('seconds_per_step')} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
