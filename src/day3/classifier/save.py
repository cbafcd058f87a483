"""A trained classifier, written as a run folder (whole or not at all): the weights in
safetensors, the tokenizer, metrics.json, settings.json, the plots, the model card (README.md)
and the kit's marker; and `--resume` of a run that already finished, recognised by them."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path

from day3.classifier.evaluate import plot_confusion_matrix, plot_loss_curve
from day3.classifier.train import RUN_KIND, ClassifierJob, Prepared, output_folder
from day3.core.errors import UserError
from day3.core.runs import write_json, writing
from day3.core.ui import say

# Adapters whose merged model is saved too. Prompt tuning cannot merge; peft 0.21's IA3 merge
# fails on a BERT head kept in modules_to_save (its pooler), so IA3 runs keep the adapter only.
MERGEABLE = ("lora",)

ADAPTER_DIR = "adapter"  # where a merged run keeps its peft adapter


def completed_run(job: ClassifierJob) -> dict | None:
    """`--resume` of a run that already finished (killed after its folder was committed): its
    metrics, so a retry loop ends. Other settings than the finished run's are refused."""
    from day3.core.runs import as_saved, differing_settings, read_marker

    marker = read_marker(job.output)
    if not job.resume or not marker or marker.get("kind") != RUN_KIND:
        return None
    if marker.get("state") != "complete":
        return None
    saved = json.loads((job.output / "settings.json").read_text()).get("identity", {})
    differ = differing_settings(saved, as_saved(job.identity()))
    if differ:
        raise UserError(
            f"{job.output} is a finished run with other settings ({', '.join(differ)}); "
            "choose another --output, or pass --overwrite instead of --resume to replace it"
        )
    say(f"{job.output} is already complete: nothing to resume")
    return json.loads((job.output / "metrics.json").read_text())


def save_run(prep: Prepared, measured: dict, metrics: dict, baseline: dict | None = None) -> Path:
    """Write the run folder atomically: weights (safetensors), tokenizer, metrics, plots,
    settings and the model card (README.md)."""
    job = prep.job
    folder = output_folder(job)
    with writing(folder) as path:
        _save_model(prep, path)
        log = measured.pop("log_history", [])
        write_json(path / "train_log.json", log)
        plot_loss_curve(log, path / "loss_curve.png", f"{job.model} · {job.strategy.label}")
        plot_confusion_matrix(
            metrics["confusion_matrix"],
            prep.data.label_names,
            path / "confusion_matrix.png",
            f"validation, accuracy {metrics['accuracy']:.3f}",
        )
        write_json(path / "metrics.json", _metrics(prep, measured, metrics, baseline))
        write_json(path / "settings.json", {**job.settings(), "identity": job.identity()})
        from day3.hub.card import write_model_card

        write_model_card(path, f"day3/{job.output.name}").save(path / "README.md")
    return folder.output


def _save_model(prep: Prepared, path: Path) -> None:
    """A full model at the root. An adapter run: the merged model at the root, so that stock
    loaders (`pipeline(model=RUN)`) find a whole classifier with its class names, and the
    adapter in `adapter/` (what peft loads); unmergeable (prompt tuning) or `merge_lora=False`:
    the adapter at the root."""
    job = prep.job
    mergeable = job.strategy.name in MERGEABLE and job.merge_lora
    adapter_dir = path / ADAPTER_DIR if mergeable else path
    prep.model.save_pretrained(adapter_dir, safe_serialization=True)
    prep.tokenizer.save_pretrained(adapter_dir)
    (adapter_dir / "README.md").unlink(missing_ok=True)  # peft's empty template card
    if mergeable:
        prep.model = prep.model.merge_and_unload()
        prep.model.save_pretrained(path, safe_serialization=True)
        prep.tokenizer.save_pretrained(path)


def _metrics(prep: Prepared, measured: dict, metrics: dict, baseline: dict | None) -> dict:
    import torch
    import transformers

    job = prep.job
    return {
        "model": job.model,
        "model_path": prep.resolved.path,
        "model_source": prep.resolved.source,
        "strategy": job.strategy.label,
        "data": prep.data.source,
        "label_names": list(prep.data.label_names),
        "n_train": len(prep.data.train),
        "n_validation": len(prep.data.validation),
        "validation": metrics,
        "baseline": baseline,
        **measured,
        "device": job.device_choice.describe(),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__},
    }
