"""How an estimate is shown: a table for people on stderr (each number beside its formula), or
one JSON object on stdout (`--json`). `estimate_command` is what `day3 estimate` runs."""

from __future__ import annotations

import json

from day3.core.ui import out, print_table, say
from day3.estimate.config import EstimateConfig
from day3.estimate.memory import run_estimate
from day3.estimate.result import Estimate

JSON_KEYS = (
    "weights_bytes",
    "gradients_bytes",
    "optimizer_bytes",
    "activations_bytes",
    "runtime_bytes",
    "total_bytes",
    "train_flops",
)


def estimate_command(config: EstimateConfig) -> Estimate:
    """`day3 estimate`: estimate (and measure, if asked), then print."""
    estimate = run_estimate(config)
    if config.json:
        out(json.dumps(estimate.to_dict()))
    else:
        print_estimate(estimate)
    return estimate


def size(n: float | None) -> str:
    """Decimal units (GB = 10^9 bytes), as memory is sold."""
    if n is None:
        return "n/a"
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if abs(n) >= scale:
            return f"{n / scale:,.2f} {unit}"
    return f"{n:,.0f} B"


def duration(seconds: float) -> str:
    for unit, scale in (("days", 86400), ("h", 3600), ("min", 60)):
        if seconds >= scale:
            return f"{seconds / scale:,.1f} {unit}"
    return f"{seconds:.3g} s"


def print_estimate(e: Estimate) -> None:
    from rich.table import Table

    say(
        f"{e.model} ({e.source}): {e.task or 'bare count'}, {e.method}, "
        f"{e.precision}, {e.optimizer}, batch {e.batch_size} × {e.seq_len} tokens, {e.hardware}"
    )
    say(
        f"parameters: {e.params_total:,} in memory, {e.params_trainable:,} trainable "
        f"({100 * e.params_trainable / e.params_total:.2f}%), {e.params_matmul:,} in matmuls (N)"
    )
    table = Table(show_lines=False)
    for col, style in (("", "bold"), ("estimate", None), ("formula", "dim")):
        table.add_column(col, style=style, overflow="fold")
    for key in ("weights", "gradients", "optimizer", "activations", "runtime"):
        _row(table, key, size(getattr(e, f"{key}_bytes")), e.formulas[key])
    _row(table, "total", size(e.total_bytes), _fits(e))
    for key, text in (
        ("no_recompute", "activations without recomputation"),
        ("full_recompute", "activations with full recomputation (--grad-checkpointing)"),
        ("fused_attention", "activations with fused attention (no s×s scores kept)"),
        ("korthikanti_paper", "the paper's eq. (16-bit, every weight training)"),
    ):
        if key in e.activation_variants:
            _row(table, "", size(e.activation_variants[key]), text)
    _row(table, "train FLOPs", f"{e.train_flops:.3g}", e.formulas["train_flops"])
    _row(table, "time", duration(e.seconds), e.formulas["seconds"])
    if e.measured_peak_bytes is not None:
        _measured_rows(table, e)
    print_table(table)
    for note in e.notes:
        say(f"note: {note}")


def _row(table, *cells) -> None:
    """Cells as plain text: a formula's [brackets] are not rich markup."""
    from rich.text import Text

    table.add_row(*(Text(str(c)) for c in cells))


def _fits(e: Estimate) -> str:
    if e.memory_bytes is None:
        return "sum of the above"
    verdict = "fits" if e.fits else "does NOT fit"
    return f"sum of the above; {verdict} in {e.hardware}'s {size(e.memory_bytes)}"


def compared_bytes(e: Estimate) -> int:
    """What the measured peak is compared with: on a GPU, max_memory_allocated sees tensors
    only, not the CUDA context (the runtime baseline). On a CPU, the estimate with this
    machine's own baseline (the child's RSS before it loads a model) in place of the typical
    one: the libraries' resident size depends on their versions, not on the setting."""
    m = e.measured or {}
    if m.get("peak_kind") == "max_memory_allocated":
        return e.total_bytes - e.runtime_bytes
    if m.get("baseline_bytes"):
        return e.total_bytes - e.runtime_bytes + m["baseline_bytes"]
    return e.total_bytes


def _measured_rows(table, e: Estimate) -> None:
    m = e.measured or {}
    target = compared_bytes(e)
    ratio = e.measured_peak_bytes / target if target else float("nan")
    _row(
        table,
        "measured peak",
        size(e.measured_peak_bytes),
        f"{m.get('peak_kind')} over {m.get('device')}; measured/estimate = {ratio:.2f}",
    )
    if m.get("baseline_bytes"):
        _row(
            table,
            "",
            size(m["baseline_bytes"]),
            "measured baseline: RSS after importing torch, transformers, peft (no model)",
        )
        _row(table, "", size(m["loaded_bytes"]), "measured: RSS with the model, before step 1")
    _row(
        table,
        "",
        f"{m.get('seconds_per_step')} s/step",
        f"MALLOC_MMAP_THRESHOLD_={m.get('malloc_mmap_threshold')} (glibc heap kept in check)",
    )
