"""`day3 journey` (and 4_WrapUpAndDemo/journey_demo.py): the day in one command.

    data → zero-shot baseline → fine-tune (LoRA) → evaluate → forgetting → ship → report

Each stage prints a line when it starts and one with its time when it ends; a stage that
fails says which one and why (a user mistake: one `error:` line, exit 2). Everything lands in
one folder (runs/journey): run/ (the model), upload/ (what the Hub would get), report/
(report.md, report.html, journey.json, the plots). A rerun replaces those three, the kit's own
outputs, and nothing else; `--serve` opens the demo app on the new run at the end.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from day3.core.errors import UserError
from day3.core.runs import RunFolder, check_place, is_kit_output, write_json, writing
from day3.core.ui import say
from day3.journey import stages
from day3.journey.config import PARTS, JourneyConfig
from day3.journey.report import markdown, to_html

STAGES: tuple[tuple[str, str, Callable], ...] = (
    ("data", "load and check the rows", stages.inspect_data),
    ("zero-shot", "score the pretrained encoder before any training", stages.zero_shot_baseline),
    ("fine-tune", "train", stages.fine_tune),
    ("evaluate", "reload the saved run and score it", stages.evaluate),
    ("forgetting", "what the encoder's similarity skill lost", stages.forgetting),
    ("ship", "stage the upload with its model card (dry run)", stages.ship),
)


def check_folder(c: JourneyConfig) -> None:
    """Before any slow work: the journey's folder holds nothing but its own three outputs (or
    `--overwrite` was given), and each of them may be replaced."""
    out = c.output
    check_place(out)
    strangers = [p.name for p in sorted(out.iterdir())] if out.is_dir() else []
    strangers = [n for n in strangers if not (n in PARTS and is_kit_output(out / n))]
    strangers = [n for n in strangers if not n.endswith(".partial")]
    others = [n for n in strangers if is_kit_output(out / n)]
    if others:  # even with --overwrite: a folder of runs is never the journey's own
        raise UserError(
            f"output folder {out} holds other day3 outputs ({', '.join(others[:3])}); choose a "
            f"folder of its own for the journey, e.g. {out / 'journey'}"
        )
    if strangers and not c.overwrite:
        raise UserError(
            f"output folder {out} holds {', '.join(strangers[:3])}, which the journey did not "
            "write; choose another --output or pass --overwrite (it never deletes them)"
        )
    for part in PARTS:
        RunFolder(c.part(part), c.overwrite, replace_own=True).check()


def run_journey(config: JourneyConfig | None = None, **settings) -> dict:
    """Every stage in order; returns journey.json's content."""
    c = config or JourneyConfig(**settings)
    check_folder(c)
    c.output.mkdir(parents=True, exist_ok=True)
    facts, timings = {}, []
    total = len(STAGES) + 1
    for i, (name, what, stage) in enumerate(STAGES, start=1):
        say(f"[{i}/{total}] {name}: {what}")
        start = time.perf_counter()
        try:
            facts[name] = stage(c, facts)
        except UserError as e:
            raise UserError(f"stage {i}/{total} '{name}' failed: {e}") from e
        except BaseException:
            say(f"stage {i}/{total} '{name}' failed")
            raise
        timings.append({"stage": name, "seconds": round(time.perf_counter() - start, 2)})
        say(f"[{i}/{total}] {name}: done in {timings[-1]['seconds']:.1f} s")
    say(f"[{total}/{total}] report: Markdown and a self-contained HTML page")
    report = _write_report(c, facts, timings)
    say(f"journey done in {sum(t['seconds'] for t in timings):.0f} s: {c.part('report')}")
    if c.serve:
        _serve(c)
    return report


def _write_report(c: JourneyConfig, facts: dict, timings: list[dict]) -> dict:
    start = time.perf_counter()
    facts = {k: v for k, v in facts.items() if not k.startswith("_")}  # loaded data stays
    folder = RunFolder(c.part("report"), c.overwrite, kind="journey",
                       inputs=(c.part("run"),), replace_own=True)  # fmt: skip
    with writing(folder) as path:
        figures = stages.figures(c, facts, path)
        timings = [*timings, {"stage": "report", "seconds": round(time.perf_counter() - start, 2)}]
        text = markdown(facts, timings, figures)
        (path / "report.md").write_text(text, encoding="utf-8")
        (path / "report.html").write_text(to_html(text, path), encoding="utf-8")
        report = {"facts": facts, "timings": timings, "figures": figures,
                  "settings": _settings(c)}  # fmt: skip
        write_json(path / "journey.json", report)
    return report


def _settings(c: JourneyConfig) -> dict:
    from dataclasses import asdict

    keep = ("model", "strategy", "epochs", "batch_size", "repo_id", "smoke")
    return {**{k: getattr(c, k) for k in keep}, "data": asdict(c.data), "output": str(c.output)}


def _serve(c: JourneyConfig) -> None:
    from day3.serve.app import ServeConfig, run_serve

    say(f"serving {c.part('run')} on http://{c.host}:{c.port} (Ctrl-C to stop)")
    run_serve(ServeConfig(run=Path(c.part("run")), host=c.host, port=c.port))
