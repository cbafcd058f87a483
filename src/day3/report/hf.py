"""Session 1, the Hugging Face ecosystem: the installed libraries (overview), the hello-world
run, inference throughput and the staged Hub upload, each from the lesson's own output."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from day3.core.ui import human
from day3.report.sections import Section, Sink, source_line, table

LIBRARIES = (
    "transformers",
    "datasets",
    "huggingface_hub",
    "peft",
    "accelerate",
    "safetensors",
    "tokenizers",
    "sentence-transformers",
    "torch",
    "evaluate",
)
WHY_NOT = {
    "evaluate": "not installed: evaluate.load fetches each metric from the Hub; the kit "
    "scores with scikit-learn and rouge-score"
}


def _overview(found, inputs, sink: Sink) -> None:
    info = found.json("overview.json")
    versions = info.get("versions", {})
    purpose = {lib.get("library"): lib.get("purpose", "") for lib in info.get("libraries", [])}
    rows = []
    for name in LIBRARIES:
        version = versions.get(name)
        rows.append([f"`{name}`", version or "—", WHY_NOT.get(name) or purpose.get(name, "")])
    device = info.get("device", {}).get("describe", "?")
    extra = f"; Python {info.get('python', '?')}, {device}"
    text = table(["library", "version", "what it does here"], rows)
    sink.text("tables/versions.md", text + "\n\n" + source_line(inputs, found, extra))
    for name in ("transformers", "datasets", "peft", "torch"):
        sink.text(f"numbers/versions.{name}.txt", versions.get(name) or "not installed")


OVERVIEW = Section(
    key="overview",
    what="the libraries and versions on this machine",
    command="python 1_HuggingFace/huggingface_overview.py",
    names=(
        "tables/versions.md",
        *(f"numbers/versions.{n}.txt" for n in ("transformers", "datasets", "peft", "torch")),
    ),
    find=lambda inputs: inputs.pick("overview", ("overview",)),
    make=_overview,
)


def _hello(found, inputs, sink: Sink) -> None:
    m = found.json("metrics.json")
    v = m.get("validation", {})
    sink.text("numbers/hello.accuracy.txt", f"{v.get('accuracy', 0):.3f}")
    sink.text("numbers/hello.n.txt", str(v.get("n", "?")))
    sink.text("numbers/hello.train_seconds.txt", f"{m.get('train_seconds', 0):.0f} s")


HELLO = Section(
    key="hello",
    what="the hello-world run: the embedded MiniLM fine-tuned on the embedded reviews",
    command="python 1_HuggingFace/hello_world_demo.py",
    names=("numbers/hello.accuracy.txt", "numbers/hello.n.txt", "numbers/hello.train_seconds.txt"),
    find=lambda inputs: inputs.pick("classifier-run", ("hello",), fallback=False),
    make=_hello,
)


def _rows(found) -> list:
    from day3.classifier.throughput import ThroughputRow

    names = {f.name for f in fields(ThroughputRow)}
    rows = found.json("throughput.json").get("rows", [])
    return [ThroughputRow(**{k: v for k, v in r.items() if k in names}) for r in rows]


def _throughput(found, inputs, sink: Sink) -> None:
    from day3.classifier.throughput import plot_throughput, table_markdown

    context = found.json("throughput.json")
    rows = _rows(found)
    extra = (
        f"; {context.get('sentences')} sentences from {context.get('data')}, "
        f"{context.get('torch_threads')} torch threads, median of {context.get('repeats')}"
    )
    sink.text(
        "tables/throughput.md", table_markdown(rows) + "\n\n" + source_line(inputs, found, extra)
    )
    plot_throughput(rows, sink.figure("figures/throughput.png"), f"{context.get('data')}")
    best = max(rows, key=lambda r: r.sentences_per_second)
    sink.text(
        "numbers/throughput.best.txt",
        f"{best.sentences_per_second:,.0f} sentences/s ({best.method}, {best.dtype})",
    )
    sink.text("numbers/throughput.speedup.txt", f"{best.speedup:.1f}×")
    naive = rows[0]
    sink.text("numbers/throughput.naive.txt", f"{naive.sentences_per_second:,.0f} sentences/s")


THROUGHPUT = Section(
    key="throughput",
    what="inference throughput: naive pipeline, batched, length-sorted, bf16",
    command="python 1_HuggingFace/model_inference.py",
    names=(
        "tables/throughput.md",
        "figures/throughput.png",
        "numbers/throughput.best.txt",
        "numbers/throughput.speedup.txt",
        "numbers/throughput.naive.txt",
    ),
    find=lambda inputs: inputs.pick("throughput-report", ("inference/throughput", "throughput")),
    make=_throughput,
)


def _card_header(path: Path) -> str:
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    if not text.startswith("---\n"):
        return ""
    return text[4 : text.index("\n---", 4)] if "\n---" in text[4:] else ""


def _upload(found, inputs, sink: Sink) -> None:
    files = sorted(p for p in found.path.iterdir() if p.is_file() and p.name != "day3-output.json")
    rows = [[f"`{p.name}`", human(p.stat().st_size)] for p in files]
    sink.text(
        "tables/upload_files.md",
        table(["file", "size"], rows) + "\n\n" + source_line(inputs, found),
    )
    header = _card_header(found.path / "README.md")
    lines = header.splitlines()
    if len(lines) > 20:  # the slide shows the head of the card's YAML
        lines = [*lines[:20], "# ..."]
    sink.text("tables/upload_card.md", "```yaml\n" + "\n".join(lines) + "\n```")


UPLOAD = Section(
    key="upload",
    what="the staged Hub upload: its files and the model card's YAML header",
    command="python 1_HuggingFace/huggingface_upload.py",
    names=("tables/upload_files.md", "tables/upload_card.md"),
    find=lambda inputs: inputs.pick("upload", ("upload/staged",)),
    make=_upload,
)

SECTIONS = (OVERVIEW, HELLO, THROUGHPUT, UPLOAD)
