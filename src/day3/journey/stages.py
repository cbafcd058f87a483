"""The journey's stages, each a function of the settings and what earlier stages found.

Every stage returns the facts it measured (plain JSON values) and leaves its files in the
journey's folder; day3.journey.run times them, names a failing one, and writes the report.
"""

from __future__ import annotations

import statistics
from pathlib import Path

from day3.core.ui import say
from day3.journey.config import JourneyConfig


def inspect_data(c: JourneyConfig, facts: dict) -> dict:
    """Load and check the rows (every label, every text) and say what they look like."""
    from day3.data.classification import load_classification
    from day3.models.catalogue import resolve_model
    from day3.models.loading import load_tokenizer

    data = load_classification(c.data)
    tok = load_tokenizer(resolve_model(c.model, purpose="classifier").path)
    lengths = [len(ids) for ids in tok(list(data.train["text"]))["input_ids"]]
    labels = list(data.train["label"])
    counts = [labels.count(i) for i in range(len(data.label_names))]
    facts["_data"] = data  # for the next stages ("_": not part of the report)
    examples = [{"text": t, "label": data.label_names[y]}
                for t, y in zip(data.train["text"][:2], data.train["label"][:2], strict=True)]  # fmt: skip
    say(f"{data.source}: {len(data.train)} train / {len(data.validation)} validation rows")
    return {
        "source": data.source,
        "n_train": len(data.train),
        "n_validation": len(data.validation),
        "labels": dict(zip(data.label_names, counts, strict=True)),
        "tokens_median": statistics.median(lengths),
        "tokens_max": max(lengths),
        "examples": examples,
    }


def zero_shot_baseline(c: JourneyConfig, facts: dict) -> dict:
    """Before training: how far the pretrained encoder gets by itself (class descriptions)."""
    from day3.models.catalogue import resolve_model
    from day3.models.loading import load_classifier, load_tokenizer
    from day3.training.baselines import zero_shot

    data = facts["_data"]
    path = resolve_model(c.model, purpose="classifier").path
    model, tok = load_classifier(path, data.id2label), load_tokenizer(path)
    texts, labels = list(data.validation["text"]), list(data.validation["label"])
    result = zero_shot(model, tok, texts, labels, data.label_names)
    say(f"zero-shot accuracy {result.accuracy:.3f}: no label used, no weight trained")
    return {"accuracy": result.accuracy, "seconds": result.seconds}


def fine_tune(c: JourneyConfig, facts: dict) -> dict:
    """LoRA (or the chosen strategy) on the training rows; the run folder is the model."""
    from day3.classifier.run import run_classifier_job
    from day3.classifier.strategies import learning_rate
    from day3.classifier.train import ClassifierJob

    job = ClassifierJob(
        model=c.model,
        data=c.data,
        strategy=c.parsed,
        output=c.part("run"),
        epochs=c.epochs,
        batch_size=c.batch_size,
        learning_rate=learning_rate(c.parsed.name, _regime(c)),
        replace_own=True,  # the journey's own previous run, never someone's folder
    )
    metrics = run_classifier_job(job)
    keep = ("train_seconds", "trainable_params", "trainable_percent", "samples_per_second")
    return {"run": str(c.part("run")), **{k: metrics[k] for k in keep},
            "strategy": c.parsed.label}  # fmt: skip


def _regime(c: JourneyConfig) -> str:
    """The learning-rate table's row: the embedded sample's (400 rows, 4 epochs) or an
    encoder's on a real data set."""
    return "embedded" if c.data.data == "embedded" else "encoder"


def evaluate(c: JourneyConfig, facts: dict) -> dict:
    """The run as a stock loader sees it: reloaded from its folder, scored on validation."""
    from day3.classifier.evaluate import evaluate_classifier
    from day3.classifier.predict import load_classifier_folder

    model, tok = load_classifier_folder(c.part("run"))
    metrics = evaluate_classifier(model, tok, facts["_data"].validation)
    say(f"reloaded run: accuracy {metrics['accuracy']:.3f}, macro-F1 {metrics['f1']:.3f}")
    gain = metrics["accuracy"] - facts["zero-shot"]["accuracy"]
    return {**{k: metrics[k] for k in ("accuracy", "f1", "n")},
            "confusion_matrix": metrics["confusion_matrix"], "gain_over_zero_shot": gain}  # fmt: skip


def forgetting(c: JourneyConfig, facts: dict) -> dict:
    """What fine-tuning cost the encoder's pretrained skill: sentence similarity (STS)."""
    from day3.classifier.predict import load_classifier_folder
    from day3.forgetting.probes import sts_probe
    from day3.models.catalogue import resolve_model
    from day3.models.loading import load_classifier, load_tokenizer

    probe, pairs = sts_probe("auto")
    path = resolve_model(c.model, purpose="classifier").path
    base = load_classifier(path, facts["_data"].id2label)
    before = probe(base, load_tokenizer(path))
    tuned, tok = load_classifier_folder(c.part("run"))
    after = probe(tuned, tok)
    say(f"{probe.name} Spearman {before:.3f} → {after:.3f} ({len(pairs)} pairs, {pairs.source})")
    return {"probe": probe.name, "pairs": len(pairs), "source": pairs.source,
            "before": before, "after": after, "drop": before - after}  # fmt: skip


def ship(c: JourneyConfig, facts: dict) -> dict:
    """The exact folder an upload would send (weights, card, tokenizer), checked: a dry run."""
    from day3.hub.push import stage_upload

    files = stage_upload(c.part("run"), c.part("upload"), c.repo_id, replace_own=True)
    size = sum((c.part("upload") / f).stat().st_size for f in files)
    say(f"staged {len(files)} files ({size / 1e6:.1f} MB) in {c.part('upload')}")
    push = f"day3 push {c.part('run')} --repo-id {c.repo_id}"
    return {"folder": str(c.part("upload")), "files": [str(f) for f in files], "bytes": size,
            "push_command": push}  # fmt: skip


def figures(c: JourneyConfig, facts: dict, folder: Path) -> dict[str, str]:
    """The report's plots, written into `folder`: loss curve, confusion matrix, learn-forget."""
    import shutil

    from day3.core.plots import save_figure
    from day3.forgetting.report import ForgettingResult, learn_forget_figure

    run = c.part("run")
    out = {}
    for name in ("loss_curve.png", "confusion_matrix.png"):
        if (run / name).is_file():
            shutil.copyfile(run / name, folder / name)
            out[name.removesuffix(".png")] = name
    f = facts["forgetting"]
    result = ForgettingResult.from_scores(
        facts["fine-tune"]["strategy"], "sentiment", facts["evaluate"]["accuracy"],
        {f["probe"]: f["before"]}, {f["probe"]: f["after"]},
    )  # fmt: skip
    save_figure(learn_forget_figure([result]), folder / "learn_forget.png")
    out["learn_forget"] = "learn_forget.png"
    return out
