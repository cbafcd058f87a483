"""`run_report`: find the outputs, write the generated folder whole, then rewrite the includes
of the decks and notes (only between their markers)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from day3.core.runs import RunFolder, write_json, writing
from day3.core.ui import say
from day3.report import finetuning, hf, training, transformer, wrapup
from day3.report.config import ReportConfig
from day3.report.includes import folder_content, references, render
from day3.report.inputs import find_outputs
from day3.report.sections import Sink, run_section

KIND = "report"
SECTIONS = (
    transformer.SECTION,
    *hf.SECTIONS,
    *training.SECTIONS,
    *finetuning.SECTIONS,
    *wrapup.SECTIONS,
)
EXTRA = ("tables/inputs.md",)  # made from the others: which input each used


def known_names() -> set[str]:
    """Every file the report makes, whatever the inputs: what a document may reference."""
    return {n for s in SECTIONS for n in s.names} | set(EXTRA)


def run_report(config: ReportConfig | None = None, **settings) -> dict:
    """The generated folder (figures, tables, numbers, manifest.json) from the runs folder,
    and the documents' includes rewritten from it. Returns the manifest."""
    c = config or ReportConfig(**settings)
    docs = c.documents()  # a wrong --docs fails before any work
    output = (
        Path(c.output) if c.output is not None else Path(tempfile.mkdtemp(prefix="day3-report-"))
    )
    folder = RunFolder(output, c.overwrite, kind=KIND, replace_own=c.replace_own or c.smoke)
    folder.check()
    with tempfile.TemporaryDirectory(prefix="day3-smoke-runs-") as scratch:
        runs = c.runs
        if c.smoke:
            from day3.report.smoke import build_smoke_runs

            runs = build_smoke_runs(Path(scratch) / "runs")  # removed at the end
        for lesson in c.time:
            from day3.report.timing import time_lesson

            time_lesson(lesson, runs)
        inputs = find_outputs(runs)
        say(f"reading {len(inputs.outputs)} day3 outputs under {runs}")
        with writing(folder) as path:
            manifest = _generate(inputs, path, smoke=c.smoke)
            texts = _rendered(docs, path)  # every document checked before one is written
    for doc, text in texts.items():
        _write(doc, text)
    missing = sorted(n for n, e in manifest["files"].items() if e["missing"])
    say(
        f"report: {len(manifest['files'])} files in {folder.output} ({len(missing)} say what "
        f"is missing); {len(texts)} of {len(docs)} documents changed"
    )
    return {**manifest, "output": str(folder.output), "changed": [str(d) for d in texts]}


def _generate(inputs, path: Path, smoke: bool) -> dict:
    sink = Sink(path)
    for section in SECTIONS:
        run_section(section, inputs, sink)
    sink.text("tables/inputs.md", wrapup.inputs_table(SECTIONS, sink))
    manifest = {
        "runs": str(inputs.runs),
        "smoke": smoke,
        "sections": {
            s.key: {"what": s.what, "command": s.command, "names": list(s.names)} for s in SECTIONS
        },
        "files": dict(sorted(sink.entries.items())),
    }
    write_json(path / "manifest.json", manifest)
    return manifest


def _rendered(docs: list[Path], root: Path) -> dict[Path, str]:
    """The new text of each document that changes (includes from `root`); every reference
    checked against what the report made."""
    from day3.core.errors import UserError

    out = {}
    for doc in docs:
        text = doc.read_text(encoding="utf-8")
        new = render(text, folder_content(root), where=str(doc))
        for ref in references(new):
            if ref.kind == "image" and not (root / ref.name).is_file():
                raise UserError(
                    f"{doc}:{ref.line}: image generated/{ref.name} is not something day3 "
                    "report makes; check the name against Slides/generated/manifest.json"
                )
        if new != text:
            out[doc] = new
    return out


def _write(doc: Path, text: str) -> None:
    tmp = doc.with_name(doc.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(doc)  # the old text or the new one, never half of each
    say(f"rewrote the includes of {doc}")
