"""Session 3, fine-tuning strategies: the sentiment run, every strategy side by side, what the
encoder forgets, and what each PEFT method trains (counted by peft on the embedded MiniLM)."""

from __future__ import annotations

from day3.report.sections import COMPUTED, Section, Sink, placeholder, source_line, table
from day3.report.training import is_encoder_report, write_forgetting


def _sentiment(found, inputs, sink: Sink) -> None:
    from day3.classifier.evaluate import plot_confusion_matrix, plot_loss_curve

    m = found.json("metrics.json")
    v, b = m["validation"], m.get("baseline")
    rows = []
    if b:
        rows.append(["before fine-tuning (a fresh head)", f"{b['accuracy']:.3f}", f"{b['f1']:.3f}"])
    rows.append(
        [
            f"after: {m['strategy']}, {m['train_seconds']:.1f} s",
            f"{v['accuracy']:.3f}",
            f"{v['f1']:.3f}",
        ]
    )
    extra = (
        f"; {m['model']}, {m['n_train']} training / {v['n']} validation sentences, "
        f"{m['trainable_params']:,} trainable parameters, {m['samples_per_second']:.0f} "
        f"samples/s, peak {m['peak_memory_mb']:.0f} MB, {m.get('device', '')}"
    )
    body = table(["", "accuracy", "macro-F1"], rows)
    sink.text("tables/sentiment.md", body + "\n\n" + source_line(inputs, found, extra))
    plot_confusion_matrix(
        v["confusion_matrix"],
        m["label_names"],
        sink.figure("figures/sentiment_confusion.png"),
        f"{m['model']}, {m['strategy']}: validation",
    )
    log = _log(found)
    path = sink.figure("figures/sentiment_loss.png")
    if plot_loss_curve(log, path, f"{m['model']}, {m['strategy']}") is None:
        placeholder(path, "too few logged steps for a loss curve")
    sink.text("numbers/sentiment.accuracy.txt", f"{v['accuracy']:.3f}")
    sink.text("numbers/sentiment.baseline.txt", f"{b['accuracy']:.3f}" if b else "(not measured)")
    sink.text("numbers/sentiment.train_seconds.txt", f"{m['train_seconds']:.0f} s")


def _log(found) -> list:
    import json

    try:
        log = json.loads((found.path / "train_log.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return log if isinstance(log, list) else []


SENTIMENT = Section(
    key="sentiment",
    what="the sentiment run: before and after fine-tuning, confusion matrix, loss curve",
    command="python 3_FineTuning/distilbert_finetuning.py",
    names=(
        "tables/sentiment.md",
        "figures/sentiment_confusion.png",
        "figures/sentiment_loss.png",
        "numbers/sentiment.accuracy.txt",
        "numbers/sentiment.baseline.txt",
        "numbers/sentiment.train_seconds.txt",
    ),
    find=lambda inputs: inputs.pick("classifier-run", ("sentiment", "demo"), fallback=False),
    make=_sentiment,
)

KEYS = ("full", "lora", "ia3", "prompt-tuning", "frozen", "multitask")


def _strategies(found, inputs, sink: Sink) -> None:
    from day3.compare.report import COLUMNS, cells, plot_comparison

    report = found.json("comparison.json")
    rows, s = report["rows"], report.get("settings", {})
    body = table([h for _, h in COLUMNS], [cells(r) for r in rows])
    extra = (
        f"; {s.get('model')}, {s.get('n_train')} training sentences, {s.get('epochs')} "
        f"epoch(s), batch {s.get('batch_size')}, seed {s.get('seed')}"
    )
    sink.text("tables/strategies.md", body + "\n\n" + source_line(inputs, found, extra))
    plot_comparison(rows, sink.figure("figures/strategies.png"))
    for key in KEYS:
        hit = next((r for r in rows if r["strategy"].split(":")[0] == key), None)
        acc = f"{hit['accuracy']:.3f}" if hit else "(not in this run)"
        share = f"{hit['trainable_percent']:.2f}%" if hit else "(not in this run)"
        sink.text(f"numbers/strategies.{key}.accuracy.txt", acc)
        sink.text(f"numbers/strategies.{key}.trainable.txt", share)


STRATEGIES = Section(
    key="strategies",
    what="every strategy side by side: accuracy, size, time, memory, STS-B forgetting",
    command="python 3_FineTuning/finetune_strategies_overview.py",
    names=(
        "tables/strategies.md",
        "figures/strategies.png",
        *(f"numbers/strategies.{k}.{w}.txt" for k in KEYS for w in ("accuracy", "trainable")),
    ),
    find=lambda inputs: inputs.pick("comparison", ("strategies", "compare")),
    make=_strategies,
)

ENCODER_KEYS = ("full", "lora", "frozen")


def _encoder(found, inputs, sink: Sink) -> None:
    s = found.json("forgetting.json").get("settings", {})
    extra = f"; probe {s.get('probe')} ({s.get('n_probe_pairs')} pairs, {s.get('probe_source')})"
    results = write_forgetting(found, inputs, sink, "forgetting_encoder", extra)
    for key in ENCODER_KEYS:
        named = [r for r in results if r.strategy.split(":")[0] == key]
        hit = next((r for r in named if r.strategy == "lora:16"), named[0] if named else None)
        text = f"{hit.average_forgetting:+.3f} ({hit.strategy})" if hit else "(not in this run)"
        sink.text(f"numbers/forgetting_encoder.{key}.txt", text)


ENCODER = Section(
    key="forgetting_encoder",
    what="what MiniLM's similarity skill (STS-B) loses under each strategy",
    command="day3 forgetting encoder --output runs/forget-enc",
    names=(
        "tables/forgetting_encoder.md",
        "figures/forgetting_encoder.png",
        *(f"numbers/forgetting_encoder.{k}.txt" for k in ENCODER_KEYS),
    ),
    find=lambda inputs: inputs.pick(
        "forgetting-report", ("forget-enc", "forgetting-encoder"), fits=is_encoder_report
    ),
    make=_encoder,
)

PEFT_ROWS = ("full", "lora:4", "lora:16", "lora:64", "dora", "ia3", "prompt-tuning", "frozen")


def _peft_counts(found, inputs, sink: Sink) -> None:
    """Each strategy applied to the embedded MiniLM by the kit itself; peft counts."""
    import copy

    from day3.classifier.strategies import StrategyConfig, apply_strategy, count_parameters
    from day3.models.catalogue import resolve_model
    from day3.models.loading import load_classifier

    base = load_classifier(resolve_model("minilm").path, {0: "negative", 1: "positive"})
    rows = []
    for label in PEFT_ROWS:
        strategy = StrategyConfig.parse(label)
        model = apply_strategy(copy.deepcopy(base), strategy)
        trainable, total = count_parameters(model)
        scale = (
            f"α/r = {strategy.lora_alpha or 2 * strategy.lora_r}/{strategy.lora_r}"
            if strategy.name in ("lora", "dora")
            else ""
        )
        rows.append([label, f"{trainable:,}", f"{100 * trainable / total:.2f}%", scale])
        if label == "lora:16":
            sink.text("numbers/peft.lora16.trainable.txt", f"{trainable:,}")
            sink.text("numbers/peft.lora16.percent.txt", f"{100 * trainable / total:.2f}%")
    note = (
        "<sub>Counted by peft on the embedded MiniLM with a 2-class head (the head trains "
        "in every row but full, where everything does); the kit's targets: LoRA on query "
        "and value, IA3 on key, value and the feed-forward output, 20 virtual tokens.</sub>"
    )
    head = ["strategy", "trainable parameters", "of the model", "LoRA scaling"]
    sink.text("tables/peft_params.md", table(head, rows) + "\n\n" + note)


PEFT = Section(
    key="peft",
    what="trainable parameters of every strategy on MiniLM (peft's own count)",
    command="nothing: computed on the embedded MiniLM",
    names=(
        "tables/peft_params.md",
        "numbers/peft.lora16.trainable.txt",
        "numbers/peft.lora16.percent.txt",
    ),
    find=lambda inputs: COMPUTED,
    make=_peft_counts,
)

SECTIONS = (SENTIMENT, STRATEGIES, ENCODER, PEFT)
