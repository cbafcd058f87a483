"""The strategies comparison as files and a table: comparison.json (every number),
comparison.md (the table and its notes), comparison.png (accuracy against trainable share).

A value that was not measured (no STS-B) is null in JSON and "n/a" in the table, never 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from day3.core.plots import new_figure, save_figure
from day3.core.runs import RunFolder, write_json, writing

REPORT_KIND = "comparison"


# (key, header): the table's columns, in order; comparison.json rows hold these and more.
COLUMNS = (
    ("strategy", "strategy"),
    ("objective", "objective"),
    ("accuracy", "accuracy"),
    ("trainable_params", "trainable params"),
    ("trainable_percent", "trainable %"),
    ("saved_mb", "saved MB"),
    ("train_seconds", "train s"),
    ("peak_memory_mb", "peak MB"),
    ("sts", "STS-B before → after"),
    ("sts_drop", "STS-B drop"),
)


def cells(row: dict) -> list[str]:
    """One row's table cells, formatted."""
    sts = "n/a"
    if row["sts_before"] is not None:
        sts = f"{row['sts_before']:.4f} → {row['sts_after']:.4f}"
    return [
        row["strategy"],
        row["objective"],
        f"{row['accuracy']:.4f}",
        f"{row['trainable_params']:,}",
        f"{row['trainable_percent']:.2f}",
        f"{row['saved_mb']:.2f} ({row['saved_what']})",
        f"{row['train_seconds']:.1f}",
        f"{row['peak_memory_mb']:.0f}",
        sts,
        "n/a" if row["sts_drop"] is None else f"{row['sts_drop']:+.4f}",
    ]


def row_notes(rows: Sequence[dict], has_probe: bool) -> list[str]:
    """What a reader must know to read the table honestly, for the rows it has."""
    labels = {r["strategy"] for r in rows}
    notes = [
        "Same data, steps, batch size and seed for every row; only the learning rate follows "
        "the strategy. accuracy = sentiment validation accuracy. train s = training only "
        "(no evaluation). peak MB = peak resident memory of the process while training on CPU "
        "(reset before each row), peak allocated tensor memory on CUDA.",
        "saved MB = what the strategy must ship (safetensors + config): the full model; for "
        "peft rows the adapter + head; for frozen the head only, the backbone being the "
        "unchanged public checkpoint.",
    ]
    if has_probe:
        notes.append(
            "STS-B = Spearman of embedding cosine on the even half of the STS-B validation "
            "pairs, the same pairs for every row; drop = before - after (positive: forgotten)."
        )
    if has_probe and "prompt-tuning" in labels:
        notes.append(
            "prompt-tuning changes no encoder weight: its virtual tokens exist only inside the "
            "peft model's forward, and the STS probe embeds sentences with the encoder alone, "
            "so its drop is 0 by construction (as for frozen). It cannot forget; it can only "
            "learn less."
        )
    if has_probe and "ia3" in labels:
        notes.append(
            "ia3's vectors rescale the encoder's own keys, values and feed-forward activations: "
            "the probe sees them, so it can forget (a little)."
        )
    if "multitask" in labels:
        notes.append(
            "single-task = full (sentiment only). multitask = the same full fine-tuning where "
            "each step also trains sentence similarity (cosine of mean-pooled embeddings "
            "against score/5) on an STS-B batch from the odd half of the pairs, minus any pair "
            "sharing a sentence with the probe half: the same sentiment data and steps, plus "
            "that extra work, which its time and memory include."
        )
    return notes


def markdown_table(report: dict) -> str:
    rows = report["rows"]
    lines = ["| " + " | ".join(h for _, h in COLUMNS) + " |", "|" + " --- |" * len(COLUMNS)]
    lines += ["| " + " | ".join(cells(r)) + " |" for r in rows]
    s = report["settings"]
    head = (
        f"# Fine-tuning strategies: {s.get('model')} on {s.get('new_task')}\n\n"
        f"{s.get('n_train')} training / {s.get('n_validation')} validation sentences, "
        f"{s.get('epochs')} epoch(s), batch {s.get('batch_size')}, seed {s.get('seed')}, "
        f"{s.get('device')}.\n\n"
    )
    notes = "\n".join(f"- {n}" for n in report["notes"])
    return head + "\n".join(lines) + "\n\n" + notes + "\n"


def plot_comparison(rows: Sequence[dict], path: Path) -> Path:
    """Accuracy against the share of parameters trained (log scale): what each buys; and, with
    STS-B, accuracy against STS-B after training: what each learned vs what it kept."""
    has_sts = rows[0]["sts_after"] is not None
    fig, axes = new_figure(1, 2 if has_sts else 1, figsize=(11 if has_sts else 6.4, 4.4))
    axes = list(axes) if has_sts else [axes]
    points = [(max(r["trainable_percent"], 1e-4), r["accuracy"]) for r in rows]
    _scatter(axes[0], rows, points)
    axes[0].set_xscale("log")
    axes[0].set_xlabel("trainable parameters (% of the model, log scale)")
    axes[0].set_ylabel("validation accuracy")
    axes[0].set_title("what each strategy buys")
    if has_sts:
        _scatter(axes[1], rows, [(r["accuracy"], r["sts_after"]) for r in rows])
        axes[1].axhline(rows[0]["sts_before"], linestyle="--", color="grey", label="before")
        axes[1].set_xlabel("validation accuracy (learned →)")
        axes[1].set_ylabel("STS-B Spearman after training (kept ↑)")
        axes[1].set_title("learn vs forget")
        axes[1].legend(loc="lower left", fontsize="small")
    return save_figure(fig, path)


def _scatter(ax, rows: Sequence[dict], points: list[tuple[float, float]]) -> None:
    placed: list[tuple[float, float]] = []
    for r, (x, y) in zip(rows, points, strict=True):
        ax.scatter([x], [y], s=60, zorder=3)
        # Rows on the same spot (full and multitask share 100%): stack their labels.
        n = sum(1 for px, py in placed if math.isclose(px, x, rel_tol=0.05) and abs(py - y) < 0.01)
        placed.append((x, y))
        offset = (6, 4 - 12 * n)
        ax.annotate(r["strategy"], (x, y), textcoords="offset points", xytext=offset, fontsize=8)
    ax.grid(alpha=0.3, which="both")
    ax.margins(0.2)


def write_comparison(
    rows: Sequence[dict],
    notes: list[str],
    settings: dict,
    out_dir: str | Path,
    overwrite: bool,
    replace_own: bool = False,
) -> Path:
    """comparison.json, comparison.md and comparison.png, written whole or not at all."""
    if not rows:
        raise ValueError("no rows to report")
    _check_finite(rows)
    report = {"rows": list(rows), "notes": notes, "settings": settings}
    folder = RunFolder(Path(out_dir), overwrite, kind=REPORT_KIND, replace_own=replace_own)
    with writing(folder) as path:
        write_json(path / "comparison.json", report)
        (path / "comparison.md").write_text(markdown_table(report), encoding="utf-8")
        plot_comparison(rows, path / "comparison.png")
    return folder.output


def _check_finite(rows: Sequence[dict]) -> None:
    # json.dumps would write NaN, which is not JSON: other tools then fail to read the report.
    for r in rows:
        values = {**r, **{f"losses.{k}": v for k, v in r.get("losses", {}).items()}}
        for key, value in values.items():
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"non-finite {key} in the row for {r['strategy']}: {value}")


def print_table(report: dict, markdown: Path | None = None) -> None:
    """A compact rich table on stderr (stdout stays clean for machine-readable output); the
    full one, with its notes, is comparison.md."""
    from rich import box
    from rich.table import Table

    from day3.core.ui import console
    from day3.core.ui import print_table as show

    table = Table(
        title="fine-tuning strategies: same data, same budget, same seed",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    keep = [i for i, (key, _) in enumerate(COLUMNS) if key != "objective"]
    for n, i in enumerate(keep):
        table.add_column(COLUMNS[i][1], justify="left" if n == 0 else "right")
    for r in report["rows"]:
        row = cells(r)
        row[COLUMNS.index(("saved_mb", "saved MB"))] = f"{r['saved_mb']:.2f}"
        table.add_row(*[row[i] for i in keep])
    show(table)
    if markdown is not None:
        console.print(f"the full table, with its notes: {markdown}", markup=False)
