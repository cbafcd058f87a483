"""Session 2, training LLMs: when (not) to train, what training costs on paper (the
estimator), what each optimization buys (the benchmark), and what Flan-T5 forgets."""

from __future__ import annotations

from day3.report.sections import COMPUTED, Section, Sink, source_line, table

RUNGS = ("frozen", "lora", "full")  # the overview lesson's three quick runs


def _overview_runs(inputs) -> dict:
    runs = {
        s: inputs.pick("classifier-run", (f"llm_training_overview/{s}",), fallback=False)
        for s in RUNGS
    }
    return runs if all(runs.values()) else {}


def _baselines(found: dict) -> list:
    """Zero- and few-shot on the runs' own validation set, with the runs' own encoder."""
    from day3.data.classification import DataSpec, load_classification
    from day3.models.catalogue import resolve_model
    from day3.models.loading import load_classifier, load_tokenizer
    from day3.training.baselines import few_shot, zero_shot

    full = found["full"]
    settings, metrics = full.json("settings.json"), full.json("metrics.json")
    data = load_classification(DataSpec(**settings["data"]))
    path = resolve_model(metrics["model"], purpose="classifier").path
    encoder, tokenizer = load_classifier(path, data.id2label), load_tokenizer(path)
    texts, labels = list(data.validation["text"]), list(data.validation["label"])
    small = len(data.train) < 128  # a smoke run's 64 rows
    rows = [zero_shot(encoder, tokenizer, texts, labels, data.label_names)]
    rows += few_shot(
        encoder,
        tokenizer,
        list(data.train["text"]),
        list(data.train["label"]),
        texts,
        labels,
        len(data.label_names),
        ks=(2, 4) if small else (8, 32, 128),
        draws=3 if small else 5,
    )
    return rows


def _when_to_train(found, inputs, sink: Sink) -> None:
    from day3.core.plots import new_figure, save_figure

    rows = [
        [r.method, f"{r.accuracy:.3f}", str(r.labelled_examples), "0", f"{r.seconds:.1f}"]
        for r in _baselines(found)
    ]
    for s in RUNGS:
        m = found[s].json("metrics.json")
        rows.append(
            [
                f"{s} fine-tune",
                f"{m['validation']['accuracy']:.3f}",
                str(m["n_train"]),
                f"{m['trainable_params']:,}",
                f"{m['train_seconds']:.1f}",
            ]
        )
    extra = (
        "; zero- and few-shot scored by day3 report on the same validation set (few-shot: "
        "mean of its draws)"
    )
    text = table(["option", "accuracy", "labels used", "trained params", "seconds"], rows)
    sink.text("tables/when_to_train.md", text + "\n\n" + source_line(inputs, found["full"], extra))
    fig, ax = new_figure(figsize=(8, 3.8))
    names, accs = [r[0] for r in rows], [float(r[1]) for r in rows]
    bars = ax.barh(names[::-1], accs[::-1], color="#4c72b0")
    ax.bar_label(bars, fmt="%.3f", padding=3)
    ax.set_xlim(0, 1.1)
    ax.set_xlabel("validation accuracy")
    ax.set_title("no training, a few labels, then training: what each buys")
    save_figure(fig, sink.figure("figures/when_to_train.png"))
    best = max(rows[:-3], key=lambda r: float(r[1]))
    sink.text("numbers/when_to_train.no_training.txt", f"{best[1]} ({best[0]})")
    sink.text("numbers/when_to_train.full.txt", rows[-1][1])


WHEN_TO_TRAIN = Section(
    key="when_to_train",
    what="zero-shot, few-shot, then frozen head, LoRA and full fine-tuning on one validation set",
    command="python 2_TrainingLLMs/llm_training_overview.py",
    names=(
        "tables/when_to_train.md",
        "figures/when_to_train.png",
        "numbers/when_to_train.no_training.txt",
        "numbers/when_to_train.full.txt",
    ),
    find=lambda inputs: _overview_runs(inputs) or None,
    make=_when_to_train,
)

ESTIMATES = (
    ("llama-2-7b", "full", "bf16"),
    ("llama-2-7b", "lora:16", "bf16"),
    ("llama-2-7b", "qlora", None),
)


def _estimates(found, inputs, sink: Sink) -> None:
    from day3.estimate.memory import EstimateConfig, run_estimate
    from day3.estimate.report import size

    rows, per_param = [], {}
    for model, method, precision in ESTIMATES:
        e = run_estimate(
            EstimateConfig(
                model=model,
                method=method,
                precision=precision,
                batch_size=8,
                seq_len=512,
                hardware="a100",
            )
        )
        states = e.weights_bytes + e.gradients_bytes + e.optimizer_bytes
        per_param[method] = states / e.params_total
        rows.append(
            [
                f"{method} ({e.precision})",
                f"{e.params_trainable:,}",
                size(e.weights_bytes),
                size(e.gradients_bytes),
                size(e.optimizer_bytes),
                size(e.activations_bytes),
                size(e.total_bytes),
                "yes" if e.fits else "no",
            ]
        )
        key = method.split(":")[0]
        sink.text(f"numbers/estimate.7b.{key}.txt", size(e.total_bytes))
    head = [
        "method",
        "trainable",
        "weights",
        "gradients",
        "optimizer",
        "activations",
        "total",
        "fits an 80 GB A100",
    ]
    note = (
        "<sub>`day3 estimate --model llama-2-7b --method METHOD --batch-size 8 --seq-len 512 "
        "--hardware a100` (AdamW, no gradient checkpointing), computed on paper.</sub>"
    )
    sink.text("tables/estimate_7b.md", table(head, rows) + "\n\n" + note)
    sink.text("numbers/estimate.7b.full_bytes_per_param.txt", f"{per_param['full']:.1f}")
    e = run_estimate(EstimateConfig(model="minilm", method="full", batch_size=32, seq_len=128))
    rows = [[k, f"`{v}`"] for k, v in e.formulas.items()]
    rows.append(["total", f"{size(e.total_bytes)} (MiniLM, full, batch 32 × 128 tokens, CPU)"])
    sink.text("tables/estimate_formulas.md", table(["term", "formula (day3 estimate)"], rows))


ESTIMATE = Section(
    key="estimate",
    what="training memory and compute on paper (day3 estimate)",
    command="nothing: the estimator computes from the configs the kit ships",
    names=(
        "tables/estimate_7b.md",
        "tables/estimate_formulas.md",
        "numbers/estimate.7b.full.txt",
        "numbers/estimate.7b.lora.txt",
        "numbers/estimate.7b.qlora.txt",
        "numbers/estimate.7b.full_bytes_per_param.txt",
    ),
    find=lambda inputs: COMPUTED,
    make=_estimates,
)


def _bench(found, inputs, sink: Sink) -> None:
    from day3.training.report import COLUMNS, cell, plot

    report = found.json("bench_training.json")
    rows = [
        {**r, "seconds_to_85": r.get("seconds_to_85", r.get("seconds_to_target"))}
        for r in report.get("rows", [])
    ]
    s, peak, summ = report["settings"], report["peak_gflops"], report.get("summary", {})
    target = summ.get("target", 0.85)
    body = table([h for _, h in COLUMNS], [[cell(k, r.get(k)) for k, _ in COLUMNS] for r in rows])
    extra = (
        f"; {s['model']}, {s['data']['max_train_samples']} sentences × {s['epochs']} epoch, "
        f"batch {s['batch_size']}, target {target:.2f}"
    )
    sink.text("tables/bench_training.md", body + "\n\n" + source_line(inputs, found, extra))
    plot(rows, target, sink.figure("figures/bench_training.png"))
    by = {r["name"]: r for r in rows}
    sink.text(
        "numbers/bench.peak.txt", f"fp32 {peak['fp32']:,.0f} / bf16 {peak['bf16']:,.0f} GFLOP/s"
    )
    base = by.get("baseline")
    sink.text(
        "numbers/bench.padding.txt",
        f"{base['padding_fraction']:.0%}" if base else "(no baseline row in this run)",
    )
    sink.text("numbers/bench.speedup.txt", speedup_line(summ))
    slow = summ.get("two_jobs_slowdown", {})
    sink.text(
        "numbers/bench.two_jobs.txt",
        ", ".join(f"{k} {v}×" for k, v in slow.items()) or "(no two-jobs rows in this run)",
    )


def speedup_line(summ: dict) -> str:
    """How much sooner the best recipe gets as good as the baseline, and by which race."""
    best, target = summ.get("best"), summ.get("target", 0.85)
    if summ.get("speedup_to_target"):
        return f"{summ['speedup_to_target']}× ({best}, to {target:.0%} accuracy)"
    if summ.get("speedup_to_baseline"):
        return (
            f"{summ['speedup_to_baseline']}× ({best}, to the baseline's final accuracy less 1 "
            f"point; no recipe reached {target:.0%} in this budget)"
        )
    return "(no recipe got as good as the baseline in this run)"


BENCH = Section(
    key="bench",
    what="the training optimizations benchmark: one change per row, measured",
    command="python 2_TrainingLLMs/training_optimizations.py",
    names=(
        "tables/bench_training.md",
        "figures/bench_training.png",
        "numbers/bench.peak.txt",
        "numbers/bench.padding.txt",
        "numbers/bench.speedup.txt",
        "numbers/bench.two_jobs.txt",
    ),
    find=lambda inputs: inputs.pick("bench-training", ("training_optimizations", "bench-training")),
    make=_bench,
)


def forgetting_results(found) -> list:
    from day3.forgetting.report import ForgettingResult

    return [ForgettingResult(**r) for r in found.json("forgetting.json").get("results", [])]


def is_encoder_report(found) -> bool:
    return "probe_metric" in found.json("forgetting.json").get("settings", {})


def forgetting_table(results) -> str:
    """Compact: one column per probe with before → after, then the average."""
    probes = list(results[0].probes)
    head = [
        "strategy",
        f"{results[0].new_task} (new task)",
        *[f"{p}: before → after" for p in probes],
        "average forgetting",
        "train s",
    ]
    rows = [
        [
            r.strategy,
            f"{r.new_task_score:.3f}",
            *[f"{r.probes[p]['before']:.3f} → {r.probes[p]['after']:.3f}" for p in probes],
            f"{r.average_forgetting:+.3f}",
            f"{r.train_seconds:.1f}",
        ]
        for r in results
    ]
    return table(head, rows)


def strategy_numbers(results, prefix: str, sink: Sink, keys: tuple[str, ...]) -> None:
    """numbers/<prefix>.<key>.txt: the average forgetting of the first strategy named key..."""
    for key in keys:
        hit = next((r for r in results if r.strategy.split(":")[0] == key), None)
        text = f"{hit.average_forgetting:+.3f}" if hit else "(not in this run)"
        sink.text(f"numbers/{prefix}.{key}.txt", text)


S2S_KEYS = ("full", "lora", "replay", "low-lr")


def write_forgetting(found, inputs, sink: Sink, name: str, extra: str) -> list:
    """A forgetting report's table (`tables/NAME.md`, with its source line + `extra`) and its
    learn-forget plot (`figures/NAME.png`); its results, for the numbers."""
    from day3.forgetting.report import plot_learn_forget

    results = forgetting_results(found)
    sink.text(
        f"tables/{name}.md", forgetting_table(results) + "\n\n" + source_line(inputs, found, extra)
    )
    plot_learn_forget(results, sink.figure(f"figures/{name}.png"))
    return results


def _seq2seq(found, inputs, sink: Sink) -> None:
    s = found.json("forgetting.json").get("settings", {})
    extra = f"; model {s.get('model')}, {s.get('steps')} steps per strategy"
    results = write_forgetting(found, inputs, sink, "forgetting_seq2seq", extra)
    strategy_numbers(results, "forgetting_seq2seq", sink, S2S_KEYS)


SEQ2SEQ = Section(
    key="forgetting_seq2seq",
    what="what an instruction-tuned T5 forgets when fine-tuned on a new task",
    command="python 2_TrainingLLMs/flan_t5_finetuning.py",
    names=(
        "tables/forgetting_seq2seq.md",
        "figures/forgetting_seq2seq.png",
        *(f"numbers/forgetting_seq2seq.{k}.txt" for k in S2S_KEYS),
    ),
    find=lambda inputs: inputs.pick(
        "forgetting-report",
        ("flan-t5-forgetting", "forget-s2s"),
        fits=lambda o: not is_encoder_report(o),
    ),
    make=_seq2seq,
)

SECTIONS = (WHEN_TO_TRAIN, ESTIMATE, BENCH, SEQ2SEQ)
