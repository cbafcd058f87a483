"""The training benchmark's report: bench_training.json (every number), bench_training.md (the
table and what it says), bench_training.png (time to the target accuracy, and accuracy against
training time)."""

from __future__ import annotations

from pathlib import Path

from day3.core.plots import new_figure, save_figure
from day3.core.runs import RunFolder, write_json, writing
from day3.core.ui import say

COLUMNS = (
    ("name", "row"), ("samples_per_second", "samples/s"), ("tokens_per_second", "real tokens/s"),
    ("padding_fraction", "padding"), ("mfu", "MFU"), ("peak_memory_mb", "peak MB"),
    ("accuracy", "accuracy"), ("seconds_to_85", "s to 85%"),
    ("seconds_to_baseline", "s to baseline -1pt"), ("train_seconds", "train s"),
    ("first_step_extra_seconds", "1st step extra s"),
)  # fmt: skip


def to_accuracy(curve: list | None, accuracy: float) -> float | None:
    """Training seconds of the first evaluation at or above `accuracy` (None: never)."""
    return next((t for t, a in curve or [] if a >= accuracy), None)


def summary(rows: list[dict], target: float) -> dict:
    """The best recipe (full fine-tuning, one job, soonest at the target, no more than 1 point
    below the baseline's final accuracy) against the baseline. Where no recipe reaches the
    target within the budget, the race is to the baseline's own final accuracy less 1 point
    (`seconds_to_baseline`, from the same accuracy curves): the same question, "how much
    sooner does it get as good", at a level every row can reach."""
    by = {r["name"]: r for r in rows}
    base = by.get("baseline")
    if base is not None:
        for r in rows:
            r["seconds_to_baseline"] = to_accuracy(r.get("curve"), base["accuracy"] - 0.01)
    single = [r for r in rows if r["jobs"] == 1 and r["name"] not in ("baseline", "lora", "frozen")]
    if base is not None:
        single = [r for r in single if r["accuracy"] >= base["accuracy"] - 0.01]
    out = {"target": target, "best": None}
    for key, race in (("seconds_to_85", "target"), ("seconds_to_baseline", "baseline")):
        fine = [r for r in single if r.get(key) is not None]
        best = min(fine, key=lambda r: r[key], default=None)
        if best is None:
            continue
        out.update(best=best["name"], race=race)
        if base and base.get(key):
            out[f"speedup_to_{race}"] = round(base[key] / best[key], 2)
        break
    if "two-jobs" in by and "two-jobs-stock" in by and "bf16" in by:
        out["two_jobs_slowdown"] = {
            k: slowdown(by[k], by["bf16"]) for k in ("two-jobs-stock", "two-jobs")
        }
    return out


def slowdown(shared: dict, alone: dict) -> float:
    """How many times longer a job takes while another runs: its first steps against the
    same steps of the same recipe alone (the same batches); samples/s where a row has no
    such timing (an older report)."""
    first, base = shared.get("first_steps_seconds"), alone.get("first_steps_seconds")
    if first and base:
        return round(first / base, 2)
    return round(alone["samples_per_second"] / shared["samples_per_second"], 2)


def cell(key: str, value) -> str:
    if value is None:
        return "not reached" if key.startswith("seconds_to") else "n/a"
    if key in ("padding_fraction", "mfu"):
        return f"{100 * value:.1f}%"
    if isinstance(value, float):
        return f"{value:,.1f}" if key != "accuracy" else f"{value:.4f}"
    return str(value)


def markdown(report: dict) -> str:
    s, peak, summ = report["settings"], report["peak_gflops"], report["summary"]
    lines = [
        f"# Training optimizations: {s['model']}, {s['data']['data']}",
        "",
        f"{s['data']['max_train_samples']} training sentences x {s['epochs']} epoch(s), batch "
        f"{s['batch_size']}, seed {s['seed']}; evaluated every {s['eval_every']} steps; target "
        f"{summ['target']:.2f}. Measured peak: fp32 {peak['fp32']:,.0f}, bf16 "
        f"{peak['bf16']:,.0f} GFLOP/s.",
        "",
        "| " + " | ".join(h for _, h in COLUMNS) + " |",
        "|" + " --- |" * len(COLUMNS),
    ]
    lines += [
        "| " + " | ".join(cell(k, r.get(k)) for k, _ in COLUMNS) + " |" for r in report["rows"]
    ]
    lines += ["", f"- best recipe: {summ['best'] or 'no full fine-tuning row reached the target'}"]
    if "speedup_to_target" in summ:
        lines.append(f"- it reaches the target {summ['speedup_to_target']}x sooner than baseline")
    elif "speedup_to_baseline" in summ:
        lines.append(
            f"- no recipe reached {summ['target']:.0%} within the budget; to the baseline's final "
            f"accuracy less 1 point it is {summ['speedup_to_baseline']}x sooner than baseline"
        )
    for k, v in summ.get("two_jobs_slowdown", {}).items():
        lines.append(f"- {k}: each job takes {v}x the time of one alone")
    lines.append(
        "- MFU = the FLOPs a step needs for its real tokens (6N full, 4N LoRA, 2N frozen; N = "
        "weights without embeddings) / seconds / the measured peak of its dtype. Padding "
        "tokens count as wasted work: they lower MFU."
    )
    return "\n".join(lines) + "\n"


def race(rows: list[dict], target: float) -> tuple[str, str]:
    """(the rows' key, in words) of the accuracy the chart races to: the target, or the
    baseline's final accuracy less 1 point when no row reaches the target."""
    if not any(r.get("seconds_to_85") for r in rows) and any(
        r.get("seconds_to_baseline") for r in rows
    ):
        return "seconds_to_baseline", "the baseline's final accuracy less 1 point"
    return "seconds_to_85", f"{target:.0%} validation accuracy"


def plot(rows: list[dict], target: float, path: Path) -> Path:
    """Bars: seconds to the race's accuracy (85%, or the baseline's less 1 point when no row
    reaches 85%: the summary's race); curves: accuracy against training seconds."""
    fig, (bars, curves) = new_figure(1, 2, figsize=(12, 4.6))
    key, goal = race(rows, target)
    names = [r["name"] for r in rows]
    times = [r.get(key) or 0 for r in rows]
    colors = ["#4c72b0" if r.get(key) else "#cccccc" for r in rows]
    bars.barh(names[::-1], times[::-1], color=colors[::-1])
    bars.set_xlabel(f"training seconds to {goal} (grey: not reached or not raced)")
    bars.set_title("time to the target")
    for r in rows:
        if r["curve"]:
            curves.plot(*zip(*r["curve"], strict=True), marker=".", label=r["name"])
    curves.axhline(target, color="grey", linestyle="--", linewidth=1)
    curves.set_xlabel("training seconds")
    curves.set_ylabel("validation accuracy")
    curves.set_ylim(0, 1)
    curves.set_title("accuracy against time")
    curves.legend(fontsize="x-small", ncol=2)
    curves.grid(alpha=0.3)
    return save_figure(fig, path)


def write_bench(rows: list[dict], peak: dict, settings: dict, folder: RunFolder) -> dict:
    report = {
        "peak_gflops": peak,
        "rows": rows,
        "summary": summary(rows, settings["target"]),
        "settings": settings,
    }
    with writing(folder) as path:
        write_json(path / "bench_training.json", report)
        (path / "bench_training.md").write_text(markdown(report), encoding="utf-8")
        plot(rows, settings["target"], path / "bench_training.png")
    say(f"saved training benchmark {folder.output}")
    return report


def rerender(path: Path) -> str:
    """The markdown of a saved bench_training.json, by the current report code."""
    import json

    report = json.loads(Path(path).read_text(encoding="utf-8"))
    report["summary"] = summary(report["rows"], report["summary"]["target"])
    return markdown(report)


if __name__ == "__main__":  # python -m day3.training.report runs/bench-training/bench_training.json
    import sys

    print(rerender(Path(sys.argv[1])), end="")
