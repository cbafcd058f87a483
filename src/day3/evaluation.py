"""Classification metrics and their pictures. Metrics come from scikit-learn, which ships its
code; `evaluate.load` would fetch metric scripts from the Hub and fail offline."""

from __future__ import annotations

from pathlib import Path

import numpy as np


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
    from day3.inference import predict_logits

    logits = predict_logits(
        model, tokenizer, list(dataset["text"]), batch_size=batch_size, max_length=max_length
    )
    return classification_metrics(dataset["label"], logits.argmax(-1), model.config.num_labels)


def plot_confusion_matrix(
    matrix: list[list[int]], label_names, path: Path, title: str = ""
) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cm = np.asarray(matrix)
    fig, ax = plt.subplots(figsize=(1.2 * len(cm) + 2.5, 1.2 * len(cm) + 2))
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
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_loss_curve(log_history: list[dict], path: Path, title: str = "") -> Path | None:
    """loss_curve.png (see `loss_figure`); None when there are fewer than two points."""
    fig = loss_figure(log_history, title)
    if fig is None:
        return None
    import matplotlib.pyplot as plt

    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def loss_figure(log_history: list[dict], title: str = ""):
    """Training loss against step, from `Trainer.state.log_history`, and the validation loss
    where the run evaluated during training (`eval_loss` entries); the y axis starts at 0."""
    points = [(e["step"], e["loss"]) for e in log_history if "loss" in e and "step" in e]
    evals = [(e["step"], e["eval_loss"]) for e in log_history if "eval_loss" in e and "step" in e]
    if len(points) < 2:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
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
