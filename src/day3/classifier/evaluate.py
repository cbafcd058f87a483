"""Classification metrics and their pictures. Metrics come from scikit-learn, which ships its
code; `evaluate.load` would fetch metric scripts from the Hub and fail offline."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from day3.core.flags import option
from day3.core.plots import new_figure, save_figure
from day3.data.classification import parse_label_map


def classification_metrics(labels, predictions, num_labels: int) -> dict:
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

    labels, predictions = np.asarray(labels), np.asarray(predictions)
    classes = list(range(num_labels))
    return {
        "accuracy": float(accuracy_score(labels, predictions)),
        "f1": float(
            f1_score(labels, predictions, average="macro", labels=classes, zero_division=0)
        ),
        "n": int(len(labels)),
        "confusion_matrix": confusion_matrix(labels, predictions, labels=classes).tolist(),
    }


def evaluate_classifier(
    model, tokenizer, dataset, batch_size: int = 64, max_length: int = 256
) -> dict:
    """Accuracy, macro-F1, n and the confusion matrix of `model` on a (text, label) dataset."""
    from day3.classifier.predict import predict_logits

    logits = predict_logits(
        model, tokenizer, list(dataset["text"]), batch_size=batch_size, max_length=max_length
    )
    return classification_metrics(dataset["label"], logits.argmax(-1), model.config.num_labels)


def plot_confusion_matrix(
    matrix: list[list[int]], label_names, path: Path, title: str = ""
) -> Path:
    cm = np.asarray(matrix)
    fig, ax = new_figure(figsize=(1.2 * len(cm) + 2.5, 1.2 * len(cm) + 2))
    ax.imshow(cm, cmap="Blues")
    ax.set_xticks(range(len(cm)), label_names, rotation=30, ha="right")
    ax.set_yticks(range(len(cm)), label_names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for (i, j), v in np.ndenumerate(cm):
        ax.text(
            j, i, str(v), ha="center", va="center", color="white" if v > cm.max() / 2 else "black"
        )
    ax.set_title(title or "confusion matrix")
    return save_figure(fig, path)


def plot_loss_curve(log_history: list[dict], path: Path, title: str = "") -> Path | None:
    """loss_curve.png (see `loss_figure`); None when there are fewer than two points."""
    fig = loss_figure(log_history, title)
    if fig is None:
        return None
    return save_figure(fig, path)


def loss_figure(log_history: list[dict], title: str = ""):
    """Training loss against step, from `Trainer.state.log_history`, and the validation loss
    where the run evaluated during training (`eval_loss` entries); the y axis starts at 0."""
    points = [(e["step"], e["loss"]) for e in log_history if "loss" in e and "step" in e]
    evals = [(e["step"], e["eval_loss"]) for e in log_history if "eval_loss" in e and "step" in e]
    if len(points) < 2:
        return None
    fig, ax = new_figure(figsize=(6, 3.5))
    ax.plot(*zip(*points, strict=True), marker=".", label="training")
    if evals:
        ax.plot(*zip(*evals, strict=True), marker="o", label="validation")
        ax.legend()
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_title(title or "loss")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


@dataclass
class EvalConfig:
    """`day3 eval-classifier`: a trained run scored on a labelled file."""

    run_dir: Path = option(
        help="a run folder written by `day3 finetune-classifier`", positional=True
    )
    file: Path = option(
        help="csv, tsv, jsonl or parquet with text and label columns", positional=True
    )
    text_column: str | None = option(None, help="default: the run's own (else sentence)")
    label_column: str | None = option(None, help="default: the run's own (else label)")
    label_map: dict[str, int] | None = option(
        None, help="map raw labels to ids, e.g. neg=0,pos=1", parse=parse_label_map
    )
    allow_pickle: bool = option(False, help="accept *.bin (pickle) weights")


def evaluate_run(config: EvalConfig) -> dict:
    """Accuracy, macro-F1 and n of a run on a labelled file, read with the run's own columns
    and checked against the classes it was trained on."""
    from day3.classifier.predict import id2label_of, load_classifier_folder, run_settings
    from day3.data.classification import load_labelled_file

    model, tok = load_classifier_folder(config.run_dir, config.allow_pickle)
    saved = run_settings(config.run_dir)
    data = saved.get("data", {})
    text_col = config.text_column or data.get("text_column") or "sentence"
    label_col = config.label_column or data.get("label_column") or "label"
    names = tuple(id2label_of(model)[i] for i in range(model.config.num_labels))
    dataset = load_labelled_file(config.file, text_col, label_col, names, config.label_map)
    m = evaluate_classifier(model, tok, dataset, max_length=saved.get("max_length", 128))
    return {k: m[k] for k in ("accuracy", "f1", "n")}
