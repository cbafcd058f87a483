"""Fine-tuning strategies side by side: one table, same data, same budget, same seed.

Rows: `full` (single-task: sentiment only), `lora`, `ia3`, `prompt-tuning` (peft), `frozen`
(transfer learning as feature extraction) and `multitask` (full fine-tuning that also keeps
practising sentence similarity, day3.classifier.multitask). Columns: validation accuracy, trainable
parameters, saved size, training time, peak memory, and STS-B before → after (forgetting).

Only the learning rate follows the strategy (day3.classifier.strategies.LEARNING_RATES), since one rate cannot
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

import json
import tempfile
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from day3.classifier.strategies import CHOICES as STRATEGY_CHOICES
from day3.classifier.strategies import STRATEGIES, StrategyConfig, parse_list
from day3.core import checks
from day3.core.env import is_offline
from day3.core.errors import UserError
from day3.core.flags import option
from day3.core.ui import say
from day3.data.classification import DataSpec
from day3.data.sources import mirror_file
from day3.forgetting.trial import ComparisonConfig, run_comparison, strategy_job, train_and_probe

MULTITASK = "multitask"

DEFAULT_STRATEGIES = ("full", "lora", "ia3", "prompt-tuning", "frozen", MULTITASK)

DEFAULT_TRAIN_SAMPLES = 4_000

CHOICES = f"{STRATEGY_CHOICES}, {MULTITASK}"


@dataclass(frozen=True)
class Row:
    """One row to train: a parameter strategy, and whether similarity is a second objective."""

    label: str
    strategy: StrategyConfig
    multitask: bool = False

    @property
    def objective(self) -> str:
        return "sentiment + similarity" if self.multitask else "sentiment"


def parse_row(name: str) -> Row:
    """`multitask`, or any strategy (`lora:8`) as a single-task row."""
    if name == MULTITASK:
        return Row(MULTITASK, StrategyConfig("full"), multitask=True)
    if name.partition(":")[0] not in STRATEGIES:
        raise UserError(f"unknown strategy '{name}' in --strategies; choose from {CHOICES}")
    config = StrategyConfig.parse(name)
    return Row(config.label, config)


def parse_rows(strategies) -> list[Row]:
    """`"full,lora,multitask"` or a list of names -> distinct rows, or a UserError."""
    return parse_list(strategies, parse_row, lambda r: r.label, f"choose from {CHOICES}")


def sts_available(probe: str) -> bool:
    """False only for the default probe with no way to get it: offline and no mirror."""
    return probe != "stsb" or mirror_file("stsb", "validation") is not None or not is_offline()


def load_probe_pairs(probe: str, max_probe_pairs: int | None):
    """(probe half, auxiliary half) of the STS pairs (day3.classifier.multitask.split_sts), or (None, None)
    when STS-B is unavailable. The cap applies to the probe half only."""
    from day3.classifier.multitask import split_sts
    from day3.data.pairs import load_sts

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


@dataclass
class CompareConfig(ComparisonConfig):
    """`day3 compare-strategies`: every strategy on the same data, budget and seed."""

    data: DataSpec = field(
        default_factory=lambda: DataSpec("auto", max_train_samples=DEFAULT_TRAIN_SAMPLES)
    )
    strategies: tuple[str, ...] = option(DEFAULT_STRATEGIES, help=f"comma-separated: {CHOICES}")
    similarity_weight: float = option(1.0, help="multitask: weight of the STS loss")
    # Per row label or strategy name ({"full": 1e-4}); else the strategy's default rate.
    learning_rates: dict[str, float] | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        self.rows = parse_rows(self.strategies)
        self.strategies = tuple(r.label for r in self.rows)
        checks.at_least("similarity_weight", self.similarity_weight, 0)
        for name, value in (self.learning_rates or {}).items():
            checks.positive(f"learning rate of {name}", value)

    def learning_rate(self, row: Row) -> float | None:
        rates = self.learning_rates or {}
        return rates.get(row.label, rates.get(row.strategy.name))


def compare_strategies(config: CompareConfig | None = None, **settings) -> dict:
    """Train `config.model` on `config.data` once per row; returns comparison.json's content.
    Give a config, or its fields by name. With `resume`, the rows an interrupted run of the
    same comparison finished are kept."""
    from day3.compare.report import REPORT_KIND, print_table, row_notes, write_comparison

    c = config or CompareConfig(**settings)
    c.output_folder(REPORT_KIND).check()  # before the slow work, not after it
    probe_pairs, auxiliary = load_probe_pairs(c.probe, c.max_probe_pairs)
    notes: list[str] = []
    probes, rows = [], c.rows
    if probe_pairs is None:
        rows = _without_sts(rows)
        notes.append(NO_STS_NOTE)
    else:
        probes = [_sts_probe(c, probe_pairs)]
        say(f"probe: {len(probe_pairs):,} sentence pairs from {probe_pairs.source}")
    by_label = {r.label: r for r in rows}

    def train_row(i, scratch, before):
        from day3.classifier.multitask import fine_tune_multitask

        row = rows[i]
        job = strategy_job(c, row.strategy, scratch, c.learning_rate(row))
        # None: day3.classifier.train.fine_tune, the single-task loop every other row uses.
        train = None
        if row.multitask:
            train = partial(fine_tune_multitask, pairs=auxiliary, weight=c.similarity_weight)
        run = train_and_probe(job, probes, before, train)
        size, what = saved_size_mb(run.prep.model, row.strategy)
        entry = _row(row, run, size, what, probes)
        say(_summary(entry))
        return entry, run

    state, journal = run_comparison(c, list(by_label), train_row)
    done = list(state["rows"].values())
    notes += row_notes(done, bool(probes))
    report_settings = _settings(c, state["common"], probes, probe_pairs, auxiliary)
    folder = write_comparison(done, notes, report_settings, c.output, c.overwrite, c.replace_own)
    journal.clear()  # the report is complete: nothing left to resume
    report = json.loads((folder / "comparison.json").read_text())
    print_table(report, folder / "comparison.md")
    say(f"saved comparison {folder}")
    return report


def _sts_probe(c: CompareConfig, pairs):
    from day3.classifier.similarity import sts_spearman
    from day3.forgetting.probes import Probe

    name = "stsb" if c.probe == "stsb" else Path(c.probe).stem
    return Probe(name, lambda m, t: sts_spearman(m, t, pairs, max_length=c.max_length))


def _settings(c: CompareConfig, common: dict, probes, probe_pairs, auxiliary) -> dict:
    import torch
    import transformers

    return {
        **common,
        "probe": probes[0].name if probes else None,
        "probe_source": probe_pairs.source if probe_pairs else None,
        "n_probe_pairs": len(probe_pairs) if probe_pairs else 0,
        "probe_metric": "Spearman of cosine similarity, mean-pooled last hidden state",
        "n_similarity_train_pairs": len(auxiliary) if auxiliary else 0,
        "similarity_weight": c.similarity_weight,
        "epochs": c.epochs,
        "batch_size": c.batch_size,
        "seed": c.seed,
        "max_length": c.max_length,
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__},
    }


def _row(row: Row, run, size: float, what: str, probes) -> dict:
    from day3.forgetting.report import ForgettingResult

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
