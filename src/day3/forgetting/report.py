"""Forgetting: what a model could do before fine-tuning that it can no longer do after.

A `Probe` scores a model on something it already knew (higher is better); scoring the same
probes before and after training gives each probe's drop, and their mean is the strategy's
forgetting. Paired with the new task's score, that is the learn-forget trade-off of "LoRA Learns
Less and Forgets Less" (Biderman et al. 2024): full fine-tuning learns most and forgets most,
LoRA sits between, a frozen backbone forgets nothing by construction.

    before = score_probes(probes, model, tok)
    ... fine-tune ...
    result = ForgettingResult.from_scores("lora:16", "sst2", accuracy, before,
                                          score_probes(probes, model, tok), seconds)
    write_report([result, ...], settings, "runs/forgetting")
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from day3.core.plots import new_figure, save_figure
from day3.core.runs import RunFolder, write_json, writing

REPORT_KIND = "forgetting-report"


@dataclass
class ForgettingResult:
    """One strategy's outcome: what it learned (new task) and what it lost (probes)."""

    strategy: str  # "full", "lora:16", "frozen"
    new_task: str
    new_task_score: float
    probes: dict[str, dict[str, float]]  # name -> {before, after, drop}
    average_forgetting: float
    train_seconds: float

    @classmethod
    def from_scores(
        cls,
        strategy: str,
        new_task: str,
        new_task_score: float,
        before: dict[str, float],
        after: dict[str, float],
        train_seconds: float = 0.0,
    ) -> ForgettingResult:
        if set(before) != set(after):
            raise ValueError(
                f"before and after probe sets differ: {sorted(before)} vs {sorted(after)}"
            )
        if not before:
            raise ValueError("forgetting needs at least one probe")
        # drop = before - after: positive is forgetting, negative is (rare) improvement. Plain
        # subtraction keeps an unchanged model at exactly 0.0.
        probes = {
            n: {"before": before[n], "after": after[n], "drop": before[n] - after[n]}
            for n in before
        }
        average = sum(p["drop"] for p in probes.values()) / len(probes)
        return cls(strategy, new_task, float(new_task_score), probes, average, float(train_seconds))

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def write_report(
    results: Sequence[ForgettingResult],
    settings: dict,
    out_dir: str | Path,
    overwrite: bool = False,
    replace_own: bool = False,
) -> Path:
    """forgetting.json, forgetting.md and forgetting.png, written whole or not at all."""
    if not results:
        raise ValueError("no results to report")
    report = {"results": [r.to_dict() for r in results], "settings": settings}
    _check_finite(report["results"])
    folder = RunFolder(Path(out_dir), overwrite, kind=REPORT_KIND, replace_own=replace_own)
    with writing(folder) as path:
        write_json(path / "forgetting.json", report)
        (path / "forgetting.md").write_text(markdown_table(results), encoding="utf-8")
        plot_learn_forget(results, path / "forgetting.png")
    return folder.output


def _check_finite(results: list[dict]) -> None:
    # json.dumps would write NaN, which is not JSON: other tools then fail to read the report.
    for r in results:
        values = [r["new_task_score"], r["average_forgetting"], r["train_seconds"]]
        values += [v for p in r["probes"].values() for v in p.values()]
        if not all(math.isfinite(v) for v in values):
            raise ValueError(f"non-finite score in the result for {r['strategy']}: {r}")


def markdown_table(results: Sequence[ForgettingResult]) -> str:
    probes = list(results[0].probes)
    head = ["strategy", f"{results[0].new_task} (new task)"]
    head += [f"{p} {k}" for p in probes for k in ("before", "after", "drop")]
    head += ["average forgetting", "train s"]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for r in results:
        cells = [r.strategy, f"{r.new_task_score:.4f}"]
        cells += [f"{r.probes[p][k]:.4f}" for p in probes for k in ("before", "after", "drop")]
        cells += [f"{r.average_forgetting:+.4f}", f"{r.train_seconds:.1f}"]
        lines.append("| " + " | ".join(cells) + " |")
    note = (
        "\ndrop = before - after (positive: the model lost that ability). "
        "Higher new-task score is better; lower forgetting is better.\n"
    )
    return "\n".join(lines) + "\n" + note


def plot_learn_forget(results: Sequence[ForgettingResult], path: Path) -> Path:
    """forgetting.png: see `learn_forget_figure`."""
    fig = learn_forget_figure(results)
    return save_figure(fig, path)


def learn_forget_figure(results: Sequence[ForgettingResult]):
    """Left: average forgetting against the new-task score, each on its whole scale (scores
    0..1, forgetting with 0 drawn), so that a small difference looks small and a collapse looks
    like one. Right: every probe's drop per strategy, so no probe hides behind the average."""
    import numpy as np

    probes = list(results[0].probes)
    fig, (ax, bars) = new_figure(1, 2, figsize=(11, 4.4))
    for r in results:
        ax.scatter([r.new_task_score], [r.average_forgetting], s=50, zorder=3)
        ax.annotate(
            r.strategy,
            (r.new_task_score, r.average_forgetting),
            textcoords="offset points",
            xytext=(6, 5),
        )
    ax.axhline(0, color="grey", linestyle="--", linewidth=1, label="nothing forgotten")
    drops = [p["drop"] for r in results for p in r.probes.values()]
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(min(0.0, *drops) - 0.05, max(0.1, *drops) + 0.05)
    ax.set_xlabel(f"{results[0].new_task} score after fine-tuning (learned →, 0 to 1)")
    ax.set_ylabel(f"average forgetting over {len(probes)} probe(s) (↓ is better)")
    ax.set_title("learn vs forget")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize="small")
    width = 0.8 / len(results)
    x = np.arange(len(probes))
    for i, r in enumerate(results):
        bars.bar(x + i * width, [r.probes[p]["drop"] for p in probes], width, label=r.strategy)
    bars.axhline(0, color="grey", linewidth=1)
    bars.set_xticks(x + 0.4 - width / 2, probes, rotation=20, ha="right")
    bars.set_ylim(min(0.0, *drops) - 0.05, max(0.1, *drops) + 0.05)
    bars.set_ylabel("drop = before - after (per probe)")
    bars.set_title("what each probe lost")
    bars.legend(fontsize="small")
    bars.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    return fig


def print_results(results: Sequence[ForgettingResult], settings: dict | None = None) -> None:
    """A rich table on stderr (stdout stays clean for machine-readable output)."""
    from rich.table import Table

    from day3.core.ui import console, print_table

    probes = list(results[0].probes)
    table = Table(title="forgetting: learned (new task) vs kept (probes)")
    table.add_column("strategy")
    table.add_column(f"{results[0].new_task}", justify="right")
    for p in probes:
        table.add_column(f"{p} before → after", justify="right")
    table.add_column("avg forgetting", justify="right")
    table.add_column("train s", justify="right")
    for r in results:
        table.add_row(
            r.strategy,
            f"{r.new_task_score:.4f}",
            *[f"{r.probes[p]['before']:.4f} → {r.probes[p]['after']:.4f}" for p in probes],
            f"{r.average_forgetting:+.4f}",
            f"{r.train_seconds:.1f}",
        )
    print_table(table)
    if settings:
        shown = ", ".join(f"{k}={v}" for k, v in settings.items() if not isinstance(v, dict))
        console.print(f"settings: {shown}", markup=False)
