"""The model card of a run: YAML metadata the Hub indexes (license, base model, data sets,
metrics, model-index results) and a body people read (results, forgetting, settings, intended
use and limits), built with huggingface_hub's ModelCard/ModelCardData and checked locally.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from day3.core.errors import UserError

DATASET_IDS = {"sst2": "stanfordnlp/sst2"}


# An absolute (or ~) path inside any text: "file /home/ann/data/train.jsonl" -> "file train.jsonl".
PATH_IN_TEXT = re.compile(r"(?:(?<=\s)|^)~?/[^\s'\"]+")


def scrub_paths(obj):
    """`obj` (JSON data) with every absolute local path, alone or inside a string, cut to its
    last part: where a run lived on this machine (home folder, user name) is nobody's business."""
    if isinstance(obj, dict):
        return {k: scrub_paths(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [scrub_paths(v) for v in obj]
    if isinstance(obj, str):
        return PATH_IN_TEXT.sub(lambda m: Path(m.group(0)).name, obj)
    return obj


def read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def run_metrics(run_dir: Path) -> dict:
    if not run_dir.is_dir():
        raise UserError(
            f"run folder {run_dir} does not exist; pass a folder written by "
            "`day3 finetune-classifier`"
        )
    metrics = read_json(run_dir / "metrics.json")
    if "validation" not in metrics:
        raise UserError(
            f"{run_dir} has no metrics.json with validation results; pass a folder written by "
            "`day3 finetune-classifier`"
        )
    return metrics


def base_model_of(metrics: dict) -> str | None:
    """The Hub id the run started from; None for kit-built random models and local folders."""
    from day3.models.catalogue import ALIASES

    name = str(metrics.get("model") or metrics.get("model_path") or "")
    alias = ALIASES.get(name.lower())
    if alias is not None:
        return alias.hub_id or None  # tiny-* and mini-flan have no Hub original
    if metrics.get("model_source") in ("hub", "hf-cache") and name.count("/") == 1:
        return name
    return None


def dataset_of(metrics: dict) -> str | None:
    data = str(metrics.get("data", "")).lower()
    return next((hub_id for key, hub_id in DATASET_IDS.items() if key in data), None)


def _strategy_name(metrics: dict) -> str:
    return str(metrics.get("strategy", "full")).split(":")[0]


SENTIMENT_DATA = ("sst2", "imdb", "embedded movie-review")


def task_of(metrics: dict) -> dict:
    """What the run learned, read off its data and class names (never assumed): a name for the
    card and the Hub, and whether it is the course's movie-review sentiment task."""
    names = [str(n) for n in metrics.get("label_names") or []]
    data = str(metrics.get("data", "")).lower()
    sentiment = sorted(names) == ["negative", "positive"] and any(k in data for k in SENTIMENT_DATA)
    kind = "sentiment classification" if sentiment else f"{len(names)}-class text classification"
    return {"names": names, "sentiment": sentiment, "name": kind}


def write_model_card(run_dir: str | Path, repo_id: str, license: str = "apache-2.0"):
    """The model card (YAML metadata + body) for a run; checked locally, not yet saved."""
    from huggingface_hub import EvalResult, ModelCard, ModelCardData

    run_dir = Path(run_dir)
    metrics = run_metrics(run_dir)
    base = base_model_of(metrics)  # before the scrub: a local folder has no Hub id anyway
    metrics = scrub_paths(metrics)  # the card is public: no local paths in it
    val = metrics["validation"]
    dataset = dataset_of(metrics)
    data_label = str(metrics.get("data", "unknown data"))
    strategy = _strategy_name(metrics)
    task = task_of(metrics)
    results = [
        EvalResult(
            task_type="text-classification",
            task_name=task["name"].capitalize(),
            dataset_type=dataset or "day3-local-data",
            dataset_name=data_label,
            dataset_split="validation",
            metric_type=metric,
            metric_name=name,
            metric_value=round(float(val[metric]), 4),
        )
        for metric, name in (("accuracy", "accuracy"), ("f1", "macro F1"))
    ]
    data = ModelCardData(
        language="en",
        license=license,
        library_name="transformers",
        base_model=base,
        datasets=[dataset] if dataset else None,
        metrics=["accuracy", "f1"],
        tags=["day3", "text-classification", strategy]
        + (["peft"] if _adapter_dir(run_dir) else []),
        pipeline_tag="text-classification",
        model_name=repo_id.split("/")[-1],
        eval_results=results,
    )
    body = _card_body(run_dir, repo_id, metrics, task)
    return ModelCard(f"---\n{data.to_yaml()}\n---\n\n{body}")


def _adapter_dir(run_dir: Path) -> str | None:
    """Where the run keeps its peft adapter, relative to it: "adapter", "" (the root), None."""
    if (run_dir / "adapter" / "adapter_config.json").is_file():
        return "adapter"
    return "" if (run_dir / "adapter_config.json").is_file() else None


def _card_body(run_dir: Path, repo_id: str, metrics: dict, task: dict) -> str:
    val = metrics["validation"]
    lines = [
        f"# {repo_id.split('/')[-1]}",
        "",
        f"A `{metrics.get('strategy', 'full')}` fine-tune of `{metrics.get('model', '?')}` for "
        f"{task['name']} ({', '.join(task['names'])}) on {metrics.get('data', 'unknown data')}, "
        "trained with the `day3` course kit.",
        "",
        "## Results (validation)",
        "",
        "| metric | value |",
        "| --- | --- |",
        f"| accuracy | {val['accuracy']:.4f} |",
        f"| macro F1 | {val['f1']:.4f} |",
        f"| examples | {val.get('n', '?')} |",
        f"| trainable parameters | {metrics.get('trainable_params', '?')} "
        f"({metrics.get('trainable_percent', '?')}%) |",
        "",
    ]
    lines += _usage_section(run_dir, repo_id, task)
    lines += _forgetting_section(run_dir)
    lines += ["## Training settings", "", *_settings_lines(run_dir, metrics), ""]
    lines += ["## Intended use and limitations", "", *_limits(task), ""]
    return "\n".join(lines)


def _usage_section(run_dir: Path, repo_id: str, task: dict) -> list[str]:
    """How a stock client (plain transformers / peft, no day3) loads it."""
    adapter = _adapter_dir(run_dir)
    lines = ["## How to use", ""]
    if adapter != "":  # a whole classifier at the root: the class names come with it
        lines += [
            "```python",
            "from transformers import pipeline",
            "",
            f'classify = pipeline("text-classification", model="{repo_id}")',
            'print(classify("Not bad at all."))',
            "```",
            "",
        ]
    if adapter is None:
        return lines
    sub = f', subfolder="{adapter}"' if adapter else ""
    names = ", ".join(f'{i}: "{n}"' for i, n in enumerate(task["names"]))
    where = f"`{adapter}/`" if adapter else "this repository"
    lines += [
        f"The peft adapter is in {where} (its config names the base model). An adapter carries "
        "no class names: pass them, or the labels read LABEL_0, LABEL_1, ...",
        "",
        "```python",
        "from peft import PeftConfig, PeftModel",
        "from transformers import AutoModelForSequenceClassification, AutoTokenizer",
        "",
        f"id2label = {{{names}}}",
        f'config = PeftConfig.from_pretrained("{repo_id}"{sub})',
        "base = AutoModelForSequenceClassification.from_pretrained(",
        "    config.base_model_name_or_path, id2label=id2label,",
        "    label2id={v: k for k, v in id2label.items()})",
        f'model = PeftModel.from_pretrained(base, "{repo_id}"{sub})',
        f'tokenizer = AutoTokenizer.from_pretrained("{repo_id}"{sub})',
        "```",
        "",
    ]
    return lines


def _limits(task: dict) -> list[str]:
    what = (
        "English movie-review sentiment (positive/negative) on short texts, one or two sentences"
        if task["sentiment"]
        else f"{task['name']} into {', '.join(task['names'])}, on texts like its training data"
    )
    return [
        f"- A teaching artefact: {what}. Not for decisions about people or production use.",
        "- Trained on a small sample with the kit, typically on CPU in minutes: expect lower "
        "accuracy than published models, and check it on your own data before relying on it.",
        "- Long texts (inputs are truncated), other domains and other languages are out of "
        "scope; errors and biases of the base model and the data carry over.",
    ]


def _forgetting_section(run_dir: Path) -> list[str]:
    md, js = run_dir / "forgetting.md", run_dir / "forgetting.json"
    if md.is_file():
        table = md.read_text(encoding="utf-8").strip()
    elif js.is_file():
        rows = read_json(js).get("results", [])
        table = "\n".join(
            ["| strategy | new task | average forgetting |", "| --- | --- | --- |"]
            + [
                f"| {r['strategy']} | {r['new_task_score']:.4f} | {r['average_forgetting']:+.4f} |"
                for r in rows
            ]
        )
    else:
        return []
    return ["## Catastrophic forgetting", "", table, ""]


def _settings_lines(run_dir: Path, metrics: dict) -> list[str]:
    # An allow-list: settings.json also holds TrainingArguments, whose hub_token must never
    # reach a public page, even masked.
    s = scrub_paths(read_json(run_dir / "settings.json"))
    args = s.get("training_args") or {}
    data = s.get("data") or {}
    strategy = s.get("strategy") or {}
    rows = {
        "model": metrics.get("model"),
        "strategy": strategy.get("name") or metrics.get("strategy"),
        "LoRA rank": strategy.get("lora_r") if strategy.get("name") == "lora" else None,
        "data": metrics.get("data"),
        "train / validation examples": f"{metrics.get('n_train')} / {metrics.get('n_validation')}",
        "epochs": s.get("epochs"),
        "learning rate": args.get("learning_rate") or s.get("learning_rate"),
        "batch size": s.get("batch_size"),
        "max length": s.get("max_length"),
        "seed": s.get("seed") if s.get("seed") is not None else data.get("seed"),
        "device": metrics.get("device") or s.get("device"),
        "train seconds": metrics.get("train_seconds"),
    }
    return [f"- {k}: {v}" for k, v in rows.items() if v is not None]


def check_card(path: Path) -> None:
    """Local stand-in for `ModelCard.validate`, which only exists as a Hub API call: the YAML
    must parse back (ModelCardData re-reads model-index) and carry the keys the Hub uses."""
    from huggingface_hub import ModelCard
    from huggingface_hub.utils import validate_repo_id

    card = ModelCard.load(path)
    meta = card.data.to_dict()
    missing = [
        k for k in ("license", "metrics", "tags", "pipeline_tag", "model-index") if k not in meta
    ]
    if missing:
        raise ValueError(f"model card {path} lacks metadata {missing}")
    if meta.get("base_model"):
        validate_repo_id(meta["base_model"])
    for ds in meta.get("datasets") or []:
        validate_repo_id(ds)
