"""How fast can a classifier read? Four ways to run the same model over the same sentences.

1. naive: `pipeline()` called once per sentence, the way a first script does it;
2. batched: `pipeline(texts, batch_size=B)`: the model sees B sentences per forward pass;
3. length-sorted: our own loop, sentences sorted by length so each batch pads to similar
   lengths (padding costs compute and buys nothing);
4. bf16: length-sorted with the weights cast to bfloat16, where the CPU/GPU does bf16 natively.

Every row is timed `repeats` times after a warm-up and the median is reported, because shared
machines are noisy. bf16 can flip a borderline prediction, so each row also reports how many
labels agree with fp32 (the reference being row 3).
"""

from __future__ import annotations

import copy
import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from day3.classifier.predict import predict_logits
from day3.core.device import cpu_has_native_bf16
from day3.core.flags import option
from day3.core.plots import new_figure, save_figure
from day3.core.ui import say
from day3.data.texts import load_texts


@dataclass
class ThroughputRow:
    method: str
    batch_size: int
    dtype: str
    sentences: int  # how many sentences one timed pass reads
    seconds: float  # median over repeats, for one pass
    sentences_per_second: float
    speedup: float  # over the naive loop
    agreement: float  # fraction of labels equal to the fp32 length-sorted run
    first_pass_seconds: float  # the untimed warm-up pass: includes torch.compile's compile


def _check_counts(**counts: int) -> None:
    from day3.core import checks

    for name, value in counts.items():
        checks.count(name, value)


def _median_seconds(fn, repeats: int) -> tuple[float, float, object]:
    """(median seconds, first-pass seconds, last result). The first pass allocates, picks
    kernels and, for a compiled model, compiles: it is reported, never timed in the median."""
    start = time.perf_counter()
    result = fn()
    first = time.perf_counter() - start
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), first, result


def measure_throughput(
    model,
    tokenizer,
    texts: list[str],
    batch_size: int = 64,
    repeats: int = 3,
    naive_samples: int = 200,
    max_length: int = 128,
    bf16: bool | None = None,
    compile: bool = False,
) -> list[ThroughputRow]:
    """Time the four methods on `texts` (a CPU or GPU model in eval mode).

    The naive loop reads only the first `naive_samples` sentences (it is slow; its rate per
    sentence is what matters). `bf16=None` adds the bf16 row only where bf16 is native.
    `compile` adds a row with the bf16 model under `torch.compile` (inductor, weights frozen
    into the graph so oneDNN can prepack them; needs a C++ compiler; tens of seconds once)."""
    _check_counts(batch_size=batch_size, repeats=repeats, naive_samples=naive_samples)
    model = model.eval()
    runs = _methods(model, tokenizer, texts, batch_size, naive_samples, max_length, bf16, compile)
    measured = []
    for method, bs, dtype, n, fn in runs:
        say(f"timing {method} ({dtype}, batch {bs}) on {n} sentences × {repeats}")
        try:
            seconds, first, labels = _median_seconds(fn, repeats)
        except Exception as e:  # only torch.compile can fail here: no C++ compiler, say
            if "compile" not in method:
                raise
            say(f"torch.compile failed, row skipped: {(str(e).splitlines() or [''])[0]}")
            continue
        measured.append((method, bs, dtype, n, seconds, first, np.asarray(labels)))
    reference = measured[2][-1]  # labels of the fp32 length-sorted run
    naive_rate = measured[0][3] / measured[0][4]
    return [
        ThroughputRow(
            method,
            bs,
            dtype,
            n,
            round(seconds, 4),
            round(n / seconds, 1),
            round(n / seconds / naive_rate, 2),
            round(float(np.mean(labels == reference[: len(labels)])), 4),
            round(first, 4),
        )
        for method, bs, dtype, n, seconds, first, labels in measured
    ]


def _methods(model, tokenizer, texts, batch_size, naive_samples, max_length, bf16, compile):
    """(method, batch, dtype, sentences, function returning the labels) for each row."""
    import torch
    from transformers import pipeline

    device = next(model.parameters()).device
    clf = pipeline(
        "text-classification",
        model=model,
        tokenizer=tokenizer,
        device=device,
        trust_remote_code=False,
    )
    names = [model.config.id2label[i] for i in range(model.config.num_labels)]
    few = texts[:naive_samples]

    def labels_of(outputs) -> np.ndarray:
        return np.array([names.index(o["label"]) for o in outputs])

    def naive():
        return labels_of([clf(t, truncation=True, max_length=max_length)[0] for t in few])

    def batched():
        return labels_of(clf(texts, batch_size=batch_size, truncation=True, max_length=max_length))

    def ours(m, sort=True):
        return lambda: predict_logits(
            m, tokenizer, texts, batch_size, max_length, sort_by_length=sort
        ).argmax(-1)

    runs = [("naive pipeline, one at a time", 1, "fp32", len(few), naive)]
    runs.append(("pipeline, batched", batch_size, "fp32", len(texts), batched))
    runs.append(("length-sorted batches", batch_size, "fp32", len(texts), ours(model)))
    if bf16 is None:
        bf16 = torch.cuda.is_available() if device.type == "cuda" else cpu_has_native_bf16()
    if bf16:
        half = copy.deepcopy(model).to(torch.bfloat16)
        runs.append(("length-sorted batches", batch_size, "bf16", len(texts), ours(half)))
        if compile:
            compiled = torch.compile(half, dynamic=True, options={"freezing": True})
            method = "length-sorted, torch.compile"
            runs.append((method, batch_size, "bf16", len(texts), ours(compiled)))
    return runs


def table_markdown(rows: list[ThroughputRow]) -> str:
    lines = [
        "| method | batch | dtype | sentences | seconds (median) | sentences/s | × naive | "
        "agrees with fp32 | first pass s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        lines.append(
            f"| {r.method} | {r.batch_size} | {r.dtype} | {r.sentences} | {r.seconds:.3f} | "
            f"{r.sentences_per_second:,.0f} | {r.speedup:.1f} | {100 * r.agreement:.1f}% | "
            f"{r.first_pass_seconds:.2f} |"
        )
    return "\n".join(lines)


def plot_throughput(rows: list[ThroughputRow], path: Path, title: str) -> Path:
    labels = [f"{r.method}\n{r.dtype}, batch {r.batch_size}" for r in rows]
    fig, ax = new_figure(figsize=(8, 0.7 * len(rows) + 1.2))
    bars = ax.barh(labels[::-1], [r.sentences_per_second for r in rows][::-1], color="#4c72b0")
    ax.bar_label(bars, fmt="%.0f /s", padding=3)
    ax.set_xlabel("sentences per second (median)")
    ax.set_title(title, fontsize=10)
    ax.margins(x=0.2)
    return save_figure(fig, path, dpi=120)


def report_folder(
    out: str | Path,
    overwrite: bool = False,
    model_or_run: str | None = None,
    replace_own: bool = False,
):
    """The report's RunFolder: the run being timed is an input, never replaced or nested."""
    from day3.core.runs import RunFolder

    inputs = (model_or_run,) if model_or_run and Path(model_or_run).exists() else ()
    return RunFolder(Path(out), overwrite, "throughput-report", inputs, replace_own)


def write_report(rows: list[ThroughputRow], folder, context: dict) -> Path:
    """throughput.json / .md / .png into `folder` (a report_folder), all or nothing."""
    from day3.core.runs import write_json, writing

    with writing(folder) as path:
        write_json(path / "throughput.json", {**context, "rows": [asdict(r) for r in rows]})
        md = [f"# Inference throughput: {context['model']}", ""]
        md += [f"- {k}: {v}" for k, v in context.items() if k != "model"]
        (path / "throughput.md").write_text("\n".join([*md, "", table_markdown(rows), ""]))
        plot_throughput(rows, path / "throughput.png", f"{context['model']} on {context['data']}")
    return folder.output


@dataclass
class ThroughputConfig:
    """`day3 throughput`: one model, the same sentences, each way of running it, timed."""

    model: str = option(
        "minilm", positional=True, nargs="?", help="run folder, alias or model folder"
    )
    data: str = option("sst2", help="sst2 | embedded | FILE (validation texts)")
    text_column: str | None = option(None, help="the FILE's text column (default: sentence)")
    batch_size: int = option(64, help="sentences per forward pass")
    repeats: int = option(3, help="timed passes per method (median)")
    naive_samples: int = option(200, help="sentences the one-at-a-time loop reads")
    output: Path | None = option(None, help="folder for throughput.json/.md/.png")
    overwrite: bool = option(False, help="replace a non-empty --output")
    compile: bool = option(False, help="add a bf16 torch.compile row (compiles ~30 s)")
    max_sentences: int | None = None  # a lesson's smoke run reads fewer
    replace_own: bool = False  # a lesson's default output: replace its own previous report

    def __post_init__(self) -> None:
        _check_counts(
            batch_size=self.batch_size, repeats=self.repeats, naive_samples=self.naive_samples
        )
        if self.max_sentences is not None:
            _check_counts(max_sentences=self.max_sentences)


def run_throughput(
    config: ThroughputConfig | None = None, **settings
) -> tuple[list[ThroughputRow], dict]:
    """Load a run folder (or a model alias/folder with a fresh 2-class head: speed does not
    depend on what the head learned), time it, and write the report when `output` is given.
    Give a config, or its fields by name."""
    import os
    import platform

    import torch

    from day3.classifier.predict import load_classifier_folder

    c = config or ThroughputConfig(**settings)
    model_or_run = c.model
    folder = None
    if c.output is not None:
        folder = report_folder(c.output, c.overwrite, model_or_run, c.replace_own)
        folder.check()  # before minutes of timing, not after
    texts, source = load_texts(c.data, c.text_column)
    texts = texts[: c.max_sentences] if c.max_sentences else texts
    if Path(model_or_run).is_dir() and (Path(model_or_run) / "metrics.json").is_file():
        model, tokenizer = load_classifier_folder(model_or_run)
        if hasattr(model, "merge_and_unload"):  # a LoRA run: time the merged model it serves
            model = model.merge_and_unload()
    else:
        from day3.models.catalogue import resolve_model
        from day3.models.loading import load_classifier, load_tokenizer

        path = resolve_model(model_or_run, purpose="classifier").path
        tokenizer = load_tokenizer(path)
        model = load_classifier(path, {0: "negative", 1: "positive"})
    rows = measure_throughput(
        model, tokenizer, texts, c.batch_size, c.repeats, c.naive_samples, compile=c.compile
    )
    context = {
        "model": model_or_run,
        "data": source,
        "sentences": len(texts),
        "repeats": c.repeats,
        "torch_threads": torch.get_num_threads(),
        "cpus": os.cpu_count(),
        "device": str(next(model.parameters()).device),
        "platform": platform.platform(),
        "torch": torch.__version__,
    }
    if folder is not None:
        write_report(rows, folder, context)
    return rows, context
