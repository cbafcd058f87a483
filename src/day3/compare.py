"""Fine-tuning strategies side by side: one table, same data, same budget, same seed.

Rows: `full` (single-task: sentiment only), `lora`, `ia3`, `prompt-tuning` (peft), `frozen`
(transfer learning as feature extraction) and `multitask` (full fine-tuning that also keeps
practising sentence similarity, day3.multitask). Columns: validation accuracy, trainable
parameters, saved size, training time, peak memory, and STS-B before → after (forgetting).

Only the learning rate follows the strategy (day3.trainers.DEFAULT_LR), since one rate cannot
suit every weight at once and a few scaling vectors. The STS-B probe is the even half of the
STS-B validation pairs for every row; the odd half (minus shared sentences) is what `multitask`
trains on, so no row is scored on pairs it saw.

Without STS-B (offline, no mirror) the forgetting columns say n/a and `multitask` is skipped:
its second objective needs those pairs. The report says so; nothing fails.

Models are not kept: each row's saved size is measured by saving what that strategy would have
to ship (the full model, the adapter + head, or for `frozen` the head alone) into a temporary
folder. `day3 finetune-classifier` reproduces any one row as a real run folder.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import tempfile
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from day3 import checks
from day3.data import DataSpec, mirror_file
from day3.env import is_offline
from day3.errors import UserError
from day3.runs import RowJournal, RunFolder
from day3.strategies import STRATEGIES, StrategyConfig
from day3.ui import out, say

MULTITASK = "multitask"
DEFAULT_STRATEGIES = ("full", "lora", "ia3", "prompt-tuning", "frozen", MULTITASK)
DEFAULT_TRAIN_SAMPLES = 4_000
CHOICES = "full, lora, lora:R, ia3, prompt-tuning, frozen, multitask"


@dataclass(frozen=True)
class Row:
    """One row to train: a parameter strategy, and whether similarity is a second objective."""

    label: str
    strategy: StrategyConfig
    multitask: bool = False

    @property
    def objective(self) -> str:
        return "sentiment + similarity" if self.multitask else "sentiment"


def parse_rows(strategies) -> list[Row]:
    """`"full,lora,multitask"` or a list of names -> distinct rows, or a UserError."""
    if isinstance(strategies, str):
        strategies = [s.strip() for s in strategies.split(",") if s.strip()]
    rows = []
    for name in strategies:
        if name == MULTITASK:
            rows.append(Row(MULTITASK, StrategyConfig("full"), multitask=True))
            continue
        if name.partition(":")[0] not in STRATEGIES:
            raise UserError(f"unknown strategy '{name}' in --strategies; choose from {CHOICES}")
        config = StrategyConfig.parse(name)
        rows.append(Row(config.label, config))
    if not rows:
        raise UserError(f"--strategies is empty; choose from {CHOICES}")
    labels = [r.label for r in rows]
    if len(set(labels)) != len(labels):
        raise UserError(
            f"--strategies lists a strategy twice ({', '.join(labels)}); give each once"
        )
    return rows


def sts_available(probe: str) -> bool:
    """False only for the default probe with no way to get it: offline and no mirror."""
    return probe != "stsb" or mirror_file("stsb", "validation") is not None or not is_offline()


def load_probe_pairs(probe: str, max_probe_pairs: int | None):
    """(probe half, auxiliary half) of the STS pairs (day3.multitask.split_sts), or (None, None)
    when STS-B is unavailable. The cap applies to the probe half only."""
    from day3.multitask import split_sts
    from day3.similarity import load_sts

    if max_probe_pairs is not None and max_probe_pairs < 2:
        raise UserError(f"--max-probe-pairs must be at least 2 (got {max_probe_pairs})")
    if not sts_available(probe):
        return None, None
    probe_half, auxiliary = split_sts(load_sts(probe, "validation"))
    return probe_half.head(max_probe_pairs), auxiliary


NO_STS_NOTE = (
    "STS-B is not available (offline, and $DAY3_DATA_DIR has no stsb/validation.tsv): the "
    "forgetting columns say n/a and the multitask row is skipped, since its second objective "
    "trains on STS-B pairs. Set DAY3_DATA_DIR to a mirror to fill them."
)


def _without_sts(rows: list[Row]) -> list[Row]:
    """The rows that can run without STS pairs: all but multitask, which trains on them."""
    if any(r.multitask for r in rows):
        say("multitask: skipped, it needs STS-B pairs (set DAY3_DATA_DIR to a mirror)")
    rows = [r for r in rows if not r.multitask]
    if not rows:
        raise UserError(
            "only multitask was asked for and it needs STS-B pairs; set DAY3_DATA_DIR to a "
            "mirror holding stsb/validation.tsv, or add other --strategies"
        )
    return rows


def saved_size_mb(model, strategy: StrategyConfig) -> tuple[float, str]:
    """(MB, what): the size of what this strategy must ship, measured by saving it."""
    with tempfile.TemporaryDirectory(prefix="day3-size-") as tmp:
        if strategy.name == "frozen":
            from safetensors.torch import save_file

            # The backbone is the public checkpoint, unchanged: only the trained head is new.
            head = {
                n: p.detach().contiguous() for n, p in model.named_parameters() if p.requires_grad
            }
            save_file(head, str(Path(tmp) / "head.safetensors"))
            what = "head only"
        else:
            model.save_pretrained(tmp, safe_serialization=True)
            what = "adapter + head" if strategy.is_peft else "full model"
        # peft also writes a README model card: text, not something the strategy needs.
        files = [p for p in Path(tmp).rglob("*") if p.is_file() and p.name != "README.md"]
        return round(sum(p.stat().st_size for p in files) / 2**20, 3), what


def compare_strategies(
    model: str = "minilm",
    data: DataSpec | None = None,
    strategies=DEFAULT_STRATEGIES,
    epochs: float = 1.0,
    batch_size: int = 32,
    seed: int = 42,
    output: str | Path = "runs/compare-strategies",
    overwrite: bool = False,
    max_probe_pairs: int | None = None,
    probe: str = "stsb",
    learning_rates: dict[str, float] | None = None,
    similarity_weight: float = 1.0,
    device: str = "auto",
    bf16: str | bool = "auto",
    max_length: int = 128,
    resume: bool = False,
    replace_own: bool = False,
) -> dict:
    """Train `model` on `data` once per row; returns comparison.json's content.
    `learning_rates` overrides the default per row label or strategy name ({"full": 1e-4}).
    `resume`: keep the rows an interrupted run of the same comparison finished."""
    import torch
    import transformers

    from day3.compare_report import print_table, row_notes, write_comparison
    from day3.forgetting import Probe
    from day3.forgetting_encoder import (
        new_task_name,
        release,
        shared_settings,
        strategy_job,
        train_and_probe,
    )
    from day3.multitask import fine_tune_multitask
    from day3.similarity import sts_spearman

    data = dataclasses.replace(data or DataSpec("auto", max_train_samples=DEFAULT_TRAIN_SAMPLES))
    rows_to_run = parse_rows(strategies)
    checks.at_least("similarity_weight", similarity_weight, 0)
    for name, value in (learning_rates or {}).items():
        checks.positive(f"learning rate of {name}", value)
    # before the slow work, not after it
    RunFolder(Path(output), overwrite, kind="comparison", replace_own=replace_own).check()
    identity = dict(
        model=model,
        data=dataclasses.asdict(data),
        rows=[r.label for r in rows_to_run],
        probe=probe,
        max_probe_pairs=max_probe_pairs,
        learning_rates=learning_rates,
        similarity_weight=similarity_weight,
        epochs=epochs,
        batch_size=batch_size,
        seed=seed,
        device=device,
        bf16=bf16,
        max_length=max_length,
    )
    journal = RowJournal(Path(output), identity)
    state = journal.start(resume, overwrite or replace_own)
    probe_pairs, auxiliary = load_probe_pairs(probe, max_probe_pairs)
    notes: list[str] = []
    probes = []
    if probe_pairs is None:
        rows_to_run = _without_sts(rows_to_run)
        notes.append(NO_STS_NOTE)
    else:
        name = "stsb" if probe == "stsb" else Path(probe).stem
        probes = [Probe(name, lambda m, t: sts_spearman(m, t, probe_pairs, max_length=max_length))]
        say(f"probe: {len(probe_pairs):,} sentence pairs from {probe_pairs.source}")
    new_task = new_task_name(data)
    learning_rates = learning_rates or {}

    rows: list[dict] = state.get("rows", [])
    before: dict[str, float] | None = state.get("before")
    common: dict = state.get("common", {})
    done = [r["strategy"] for r in rows]
    if done:
        say(f"resuming: {', '.join(done)} already done ({journal.path})")
    with tempfile.TemporaryDirectory(prefix="day3-compare-") as tmp:
        for i, row in enumerate(rows_to_run):
            if row.label in done:
                continue
            say(f"[{i + 1}/{len(rows_to_run)}] {row.label} ({row.objective})")
            lr = learning_rates.get(row.label, learning_rates.get(row.strategy.name))
            job = strategy_job(
                model,
                data,
                row.strategy,
                Path(tmp) / f"run{i}",
                max_length=max_length,
                device=device,
                bf16=bf16,
                epochs=epochs,
                batch_size=batch_size,
                seed=seed,
                learning_rate=lr,
            )
            # None: day3.trainers.fine_tune, the single-task loop every other row uses.
            train = (
                partial(fine_tune_multitask, pairs=auxiliary, weight=similarity_weight)
                if row.multitask
                else None
            )
            run = train_and_probe(job, probes, before, train)
            if before is None:
                before, common = run.before, shared_settings(run, model, new_task)
            size, what = saved_size_mb(run.prep.model, row.strategy)
            rows.append(_row(row, run, size, what, probes))
            journal.save({"rows": rows, "before": before, "common": common})
            say(_summary(rows[-1]))
            release(run)

    settings = {
        **common,
        "probe": probes[0].name if probes else None,
        "probe_source": probe_pairs.source if probe_pairs else None,
        "n_probe_pairs": len(probe_pairs) if probe_pairs else 0,
        "probe_metric": "Spearman of cosine similarity, mean-pooled last hidden state",
        "n_similarity_train_pairs": len(auxiliary) if auxiliary else 0,
        "similarity_weight": similarity_weight,
        "epochs": epochs,
        "batch_size": batch_size,
        "seed": seed,
        "max_length": max_length,
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__},
    }
    notes += row_notes(rows, bool(probes))
    folder = write_comparison(rows, notes, settings, output, overwrite, replace_own)
    journal.clear()  # the report is complete: nothing left to resume
    report = json.loads((folder / "comparison.json").read_text())
    print_table(report, folder / "comparison.md")
    say(f"saved comparison {folder}")
    return report


def _row(row: Row, run, size: float, what: str, probes) -> dict:
    from day3.forgetting import ForgettingResult

    m, metrics = run.measured, run.metrics
    name = probes[0].name if probes else None
    before = run.before.get(name) if name else None
    after = run.after.get(name) if name else None
    drop = None
    if name:  # the one definition of a drop (before - after), not a copy of it
        result = ForgettingResult.from_scores(row.label, "new", 0.0, run.before, run.after)
        drop = result.probes[name]["drop"]
    extra = {k: v for k, v in m.items() if k.startswith("loss_")}
    return {
        "strategy": row.label,
        "objective": row.objective,
        "accuracy": metrics["accuracy"],
        "f1": metrics["f1"],
        "trainable_params": m["trainable_params"],
        "total_params": m["total_params"],
        "trainable_percent": m["trainable_percent"],
        "saved_mb": size,
        "saved_what": what,
        "train_seconds": m["train_seconds"],
        "peak_memory_mb": m["peak_memory_mb"],
        "sts_before": before,
        "sts_after": after,
        "sts_drop": drop,
        "learning_rate": run.job.training.learning_rate,
        "steps": m["steps"],
        "losses": {"train_first": m["train_loss_first"], "train_last": m["train_loss_last"]}
        | extra,
    }


def _summary(r: dict) -> str:
    sts = "" if r["sts_drop"] is None else f", STS {r['sts_before']:.4f} → {r['sts_after']:.4f}"
    return (
        f"{r['strategy']}: accuracy {r['accuracy']:.4f}{sts}, "
        f"{r['trainable_percent']:.2f}% trainable, saves {r['saved_mb']:.2f} MB, "
        f"{r['train_seconds']:.1f}s"
    )


# ---------------------------------------------------------------- CLI


def register_cli(subparsers) -> argparse.ArgumentParser:
    """Add `day3 compare-strategies` to the CLI."""
    from day3.forgetting_encoder import add_run_args

    p = subparsers.add_parser(
        "compare-strategies",
        help="one table: full, lora, ia3, prompt-tuning, frozen, multitask on the same budget",
    )
    p.add_argument(
        "--strategies", default=",".join(DEFAULT_STRATEGIES), help=f"comma-separated: {CHOICES}"
    )
    p.add_argument(
        "--similarity-weight", type=float, default=1.0, help="multitask: weight of the STS loss"
    )
    add_run_args(p, data_default="auto")
    p.set_defaults(func=cmd_compare_strategies, max_train_samples=DEFAULT_TRAIN_SAMPLES)
    return p


def cmd_compare_strategies(args) -> int:
    from day3.forgetting_encoder import run_kwargs

    report = compare_strategies(**run_kwargs(args), similarity_weight=args.similarity_weight)
    out(json.dumps({"output": str(args.output), "rows": report["rows"]}))
    return 0
