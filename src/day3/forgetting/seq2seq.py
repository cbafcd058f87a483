"""Forgetting in a seq2seq model: fine-tune an instruction-tuned T5 on a new task, then ask it
the tasks it knew before.

Models: `mini-flan` (the kit's stand-in, built offline: its probes are its own five held-out
tasks; the new task is `max`, which it never saw) or a real Flan-T5 (`google/flan-t5-small`,
online or cached: probes are zero-shot instructions — sentiment on the embedded reviews and the
colour question — and the new task is DialogSum summarisation, scored by ROUGE-L). The tasks
are in `day3.forgetting.seq2seq_tasks`.

Strategies, at the same steps and batch size:
- `full`: every weight, at the base learning rate.
- `lora` / `lora:R`: adapters on T5's q and v projections (peft, through the kit's strategy
  registry), the base weights untouched.
- `replay:F`: full fine-tuning where a fraction F of the batch rows come from the old tasks —
  multi-task fine-tuning, the classic remedy for forgetting.
- `low-lr`: full fine-tuning at a tenth of the learning rate.
"""

from __future__ import annotations

import json
import random
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from day3.classifier.strategies import StrategyConfig, learning_rate, parse_list
from day3.core import checks
from day3.core.errors import UserError
from day3.core.flags import option
from day3.core.runs import RunFolder
from day3.core.ui import say
from day3.forgetting.probes import Probe, score_probes
from day3.forgetting.report import REPORT_KIND, ForgettingResult, print_results, write_report
from day3.forgetting.seq2seq_tasks import (
    Seq2SeqTask,
    check_new_task,
    flan_t5_task,
    mini_flan_task,
    task_score,
    task_scores,
)
from day3.models.loading import load_seq2seq

DEFAULT_STRATEGIES = ("full", "lora", "replay:0.2", "low-lr")
STAND_INS = ("mini-flan", "tiny-t5")  # kit-built T5s: their probes are the mini-FLAN tasks


@dataclass(frozen=True)
class Seq2SeqStrategy:
    label: str
    kind: str  # full | lora
    lora_r: int = 16
    replay: float = 0.0
    lr_scale: float = 1.0

    @classmethod
    def parse(cls, text: str) -> Seq2SeqStrategy:
        name, _, arg = text.strip().partition(":")
        try:
            if name == "full" and not arg:
                return cls("full", "full")
            if name == "lora":
                r = int(arg) if arg else 16
                if r < 1:
                    raise ValueError
                return cls(f"lora:{r}", "lora", lora_r=r)
            if name == "replay":
                f = float(arg)
                if not 0 < f < 1:
                    raise ValueError
                return cls(f"replay:{f:g}", "full", replay=f)
            if name == "low-lr" and not arg:
                return cls("low-lr", "full", lr_scale=0.1)
        except ValueError:
            pass
        raise UserError(
            f"bad seq2seq strategy '{text}'; use full, lora, lora:R, replay:F (0 < F < 1) or low-lr"
        )

    def peft_config(self):
        """LoRA through the kit's one strategy registry (T5's targets: q, v)."""
        return StrategyConfig("lora", lora_r=self.lora_r, lora_dropout=0.0).lora_config(
            "t5", task="seq2seq"
        )


@dataclass
class Seq2SeqForgettingConfig:
    """`day3 forgetting seq2seq`: one instruction-tuned T5, one new task, several strategies."""

    model: str = option("mini-flan", help="mini-flan | google/flan-t5-small | FOLDER")
    strategies: tuple[str, ...] = option(
        DEFAULT_STRATEGIES, help="comma-separated: full, lora, lora:R, replay:F, low-lr"
    )
    new_task: str = option("max", help="mini-flan: max; Flan-T5: dialogsum (implied)")
    steps: int = option(300, help="training steps per strategy")
    batch_size: int = option(32, help="rows per step")
    learning_rate: float | None = option(
        None, flag="--lr", help="base learning rate (default full 5e-4, lora 2e-3)"
    )
    train_samples: int = option(4000, help="rows of the new task to train on")
    seed: int = option(0, help="random seed")
    output: Path = option(
        Path("runs/forgetting-seq2seq"), required=True, help="report folder to write"
    )
    overwrite: bool = option(False, help="replace a non-empty --output")
    replace_own: bool = False  # a lesson's default output: replace its own previous report
    parsed: list = field(default_factory=list, repr=False)  # the strategies, parsed

    def __post_init__(self) -> None:
        """Every number is checked before a model is built (mini-flan: minutes) or loaded."""
        self.output = Path(self.output)
        self.parsed = parse_list(
            self.strategies,
            Seq2SeqStrategy.parse,
            lambda s: s.label,
            "try --strategies full,lora,replay:0.2,low-lr",
        )
        self.strategies = tuple(s.label for s in self.parsed)
        from day3.seq2seq.train import Seq2SeqBudget

        Seq2SeqBudget(self.steps, self.base_lr("full"), self.batch_size, seed=self.seed)
        checks.count("train_samples", self.train_samples)
        if self.model in STAND_INS:
            check_new_task(self.new_task)

    def base_lr(self, kind: str) -> float:
        return self.learning_rate if self.learning_rate is not None else learning_rate(kind, "t5")


def training_rows(task: Seq2SeqTask, strat: Seq2SeqStrategy, seed: int) -> list[dict]:
    """What one strategy trains on: the new task's rows; for `replay:F`, a fraction F of them
    swapped for rows of the old tasks (the same number of rows, so the same budget)."""
    rows = list(task.train)
    if strat.replay:
        k = int(len(rows) * strat.replay)
        rng = random.Random(seed)
        rows = rows[k:] + [rng.choice(task.prior_train) for _ in range(k)]
    return rows


def strategy_lr(strat: Seq2SeqStrategy, base: float | None = None) -> float:
    """The strategy's learning rate: the base rate of its kind (or the one given), scaled
    (`low-lr`: a tenth)."""
    return (base if base is not None else learning_rate(strat.kind, "t5")) * strat.lr_scale


def run_seq2seq_forgetting(config: Seq2SeqForgettingConfig | None = None, **settings) -> dict:
    """Fine-tune once per strategy from the same weights; returns forgetting.json's content.
    Give a config, or its fields by name."""
    from day3.miniflan.build import build_info
    from day3.models.catalogue import resolve_model

    c = config or Seq2SeqForgettingConfig(**settings)
    RunFolder(c.output, c.overwrite, kind=REPORT_KIND, replace_own=c.replace_own).check()
    resolved = resolve_model(c.model, purpose="seq2seq")
    stand_in = build_info(resolved.path) is not None or c.model in STAND_INS
    task = (
        mini_flan_task(c.new_task, c.train_samples, c.seed)
        if stand_in
        else flan_t5_task(c.train_samples, c.seed)
    )
    said = " — the kit-built STAND-IN, not Flan-T5" if stand_in else ""
    say(f"model: {resolved.describe()}{said}")
    say(
        f"new task: {task.name} ({len(task.train)} rows, {task.metric}); probes: {', '.join(task.prior)}"
    )
    probes = [
        Probe(name, lambda m, t, rows=rows: task_score(m, t, rows, "exact_match", 12))
        for name, rows in task.prior.items()
    ]
    base, tokenizer = load_seq2seq(resolved.path)
    before = score_probes(probes, base, tokenizer)
    new_before = task_score(base, tokenizer, task.held_out, task.metric, task.max_new_tokens)
    scores_said = ", ".join(f"{k} {v:.3f}" for k, v in before.items())
    say(f"before: {scores_said}; {task.name} {new_before:.3f}")
    results, per = [], {}
    with tempfile.TemporaryDirectory(prefix="day3-s2s-") as tmp:
        for i, strat in enumerate(c.parsed):
            say(f"[{i + 1}/{len(c.parsed)}] {strat.label}")
            result, per[strat.label] = _train_strategy(
                c, strat, task, resolved.path, probes, before, Path(tmp) / str(i)
            )
            results.append(result)
    settings = {
        "model": c.model,
        "model_path": resolved.path,
        "stand_in": stand_in,
        "new_task": task.name,
        "new_task_metric": task.metric,
        "new_task_score_before": new_before,
        "n_train": len(task.train),
        "steps": c.steps,
        "batch_size": c.batch_size,
        "seed": c.seed,
        "device": _device().describe(),
        "strategies": per,
    }
    folder = write_report(results, settings, c.output, c.overwrite, c.replace_own)
    print_results(results, settings)
    say(f"saved forgetting report {folder}")
    return json.loads((folder / "forgetting.json").read_text())


def _device():
    from day3.core.device import pick_device

    return pick_device(bf16=False)  # T5 and fp16 overflow; bf16 only where verified finite


def _train_strategy(c, strat, task, model_path, probes, before, scratch: Path):
    """One strategy from the pretrained weights: (its ForgettingResult, its settings)."""
    from datasets import Dataset
    from peft import get_peft_model

    from day3.seq2seq.train import Seq2SeqBudget, tokenize_pairs, train_seq2seq, training_arguments

    model, tokenizer = load_seq2seq(model_path)
    if strat.kind == "lora":
        model = get_peft_model(model, strat.peft_config())
    rows = training_rows(task, strat, c.seed)
    lr = strategy_lr(strat, c.learning_rate)
    train = tokenize_pairs(
        Dataset.from_list(rows).shuffle(seed=c.seed),
        tokenizer,
        max_target_length=task.max_new_tokens,
    )
    args = training_arguments(
        str(scratch), Seq2SeqBudget(c.steps, lr, c.batch_size, seed=c.seed), _device()
    )
    say(f"{strat.label}: {c.steps} steps at lr {lr:g}")
    measured = train_seq2seq(model, tokenizer, train, args)
    trained = measured["model"]
    after = score_probes(probes, trained, tokenizer)
    scores = task_scores(trained, tokenizer, task.held_out, task.metric, task.max_new_tokens)
    result = ForgettingResult.from_scores(
        strat.label, task.name, scores["score"], before, after, measured["train_seconds"]
    )
    return result, {
        "new_task_scores": scores,
        "learning_rate": lr,
        "steps": measured["steps"],
        "replay_fraction": strat.replay,
        "replayed_rows": sum(r.get("task") != task.name for r in rows),
        "final_loss": measured["losses"][-1] if measured["losses"] else None,
    }
