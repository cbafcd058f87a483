"""The end-to-end check: the learner's functions working together on tiny models, in seconds.

Through the kit's own code: tiny-bert gets LoRA on the learner's `lora_targets` and is
fine-tuned on the embedded reviews by the kit's Trainer setup; the learner's `count_trainable`
counts that model; their `compute_metrics` runs inside a Trainer's evaluation; their
`measure_forgetting` scores a similarity probe before and after; their `mask_padding_labels`
prepares a tiny T5 batch whose loss must equal the one with the kit's collator. Each step is
compared with what the kit computes itself; the first step that fails ends the run.
"""

from __future__ import annotations

import copy
import tempfile
from collections.abc import Callable
from pathlib import Path

from day3.exercise.capture import describe


class StepFailed(Exception):
    """One step's result differs from the kit's; the message says how."""


def run_end_to_end(module, seed: int, path: Path) -> list[dict]:
    """[{name, ok, detail}] of every step run, stopping at the first that fails."""
    state: dict = {"seed": seed % 2**31}
    steps: list[tuple[str, Callable]] = [
        ("LoRA on tiny-bert with your lora_targets", _lora),
        ("your count_trainable on that LoRA model", _count),
        ("fine-tuning it (the kit's Trainer, embedded reviews)", _train),
        ("your compute_metrics inside the Trainer's evaluation", _metrics),
        ("your measure_forgetting before vs after fine-tuning", _forgetting),
        ("your mask_padding_labels on a tiny T5 batch", _masking),
    ]
    done = []
    with tempfile.TemporaryDirectory(prefix="day3-check-") as tmp:
        state["tmp"] = Path(tmp)
        for name, step in steps:
            try:
                detail, ok = step(module, state), True
            except StepFailed as e:
                detail, ok = str(e), False
            except Exception as e:
                error = describe(e, path)
                where = f" ({error['where']})" if error["where"] else ""
                detail = f"{error['type']}: {error['message']}{where}"
                ok = False
            done.append({"name": name, "ok": ok, "detail": detail})
            if not ok:
                break
    return done


def _lora(module, state: dict) -> str:
    from day3.classifier.strategies import StrategyConfig
    from day3.classifier.train import ClassifierJob, prepare
    from day3.data.classification import DataSpec
    from day3.models.catalogue import resolve_model
    from day3.models.loading import load_classifier

    path = resolve_model("tiny-bert").path
    before = load_classifier(path, {0: "negative", 1: "positive"})
    targets = module.lora_targets(copy.deepcopy(before))
    if not isinstance(targets, (list, tuple)) or not all(isinstance(t, str) for t in targets):
        raise StepFailed(f"lora_targets returned {targets!r}; return a list of module names")
    job = ClassifierJob(
        model="tiny-bert", data=DataSpec(data="embedded", max_train_samples=64, max_eval_samples=32),
        strategy=StrategyConfig(name="lora", lora_r=4, target_modules=list(targets)),
        epochs=2, batch_size=16, learning_rate=1e-2, seed=state["seed"], device="cpu",
        output=state["tmp"] / "run",
    )  # fmt: skip
    prep = prepare(job)  # peft refuses targets that match nothing: that is this step's failure
    adapted = {n.rsplit(".lora_A", 1)[0] for n, _ in prep.model.named_modules() if ".lora_A" in n}
    if not adapted:
        raise StepFailed(f"your targets {list(targets)} adapted no layer of tiny-bert")
    state.update(before=before, prep=prep)
    return f"{len(adapted)} layers adapted by {list(targets)}"


def _count(module, state: dict) -> str:
    from day3.classifier.strategies import count_parameters

    model = state["prep"].model
    trainable, total = count_parameters(model)
    got = module.count_trainable(model)
    if not isinstance(got, dict) or got.get("trainable") != trainable:
        raise StepFailed(f"returned {got!r}; the kit counts {trainable:,} trainable parameters")
    # peft keeps a frozen copy of the head (modules_to_save) that the kit leaves out of the
    # total: a plain count over model.parameters() is a fraction of a percent higher, and fine.
    percent = 100 * trainable / total
    if not (abs(got.get("total", 0) - total) <= 0.01 * total):
        raise StepFailed(f"total {got.get('total')!r}, the kit counts {total:,}")
    if not (abs(got.get("percent", 0) - percent) <= 0.02 * percent + 0.01):
        raise StepFailed(f"percent {got.get('percent')!r}, the kit says {percent:.4f}")
    return f"{trainable:,} of {total:,} parameters train ({percent:.2f}%)"


def _train(module, state: dict) -> str:
    import math

    from day3.classifier.train import fine_tune

    measured = fine_tune(state["prep"])
    if not math.isfinite(measured["train_loss_last"] or math.nan):
        raise StepFailed(f"the loss is {measured['train_loss_last']}")
    return f"{measured['steps']} steps, loss {measured['train_loss_last']:.3f}"


def _metrics(module, state: dict) -> str:
    from transformers import DataCollatorWithPadding, Trainer

    from day3.classifier.evaluate import classification_metrics
    from day3.classifier.train import training_arguments

    prep = state["prep"]
    tok, job = prep.tokenizer, prep.job
    seen = []

    def spy(eval_pred):  # exactly what the Trainer hands compute_metrics, and what they return
        out = module.compute_metrics(eval_pred)
        seen.append((eval_pred.predictions, eval_pred.label_ids, out))
        return out

    data = prep.data.validation.map(
        lambda b: tok(b["text"], truncation=True, max_length=job.max_length),
        batched=True,
        remove_columns=["text"],
    )
    args = training_arguments(state["tmp"] / "eval", job.strategy, job.device_choice)
    trainer = Trainer(
        model=prep.model, args=args, compute_metrics=spy, processing_class=tok,
        data_collator=DataCollatorWithPadding(tok),
    )  # fmt: skip
    results = trainer.evaluate(eval_dataset=data)
    logits, labels, out = seen[-1]
    kit = classification_metrics(labels, logits.argmax(-1), prep.model.config.num_labels)
    for key in ("accuracy", "f1"):
        got = results.get(f"eval_{key}")
        if not isinstance(got, (int, float)) or abs(got - kit[key]) > 1e-6:
            raise StepFailed(
                f"the Trainer reported eval_{key} {got!r} from your {out!r}; the kit computes "
                f"{kit[key]:.4f} on the same predictions"
            )
    return f"eval_accuracy {kit['accuracy']:.3f}, eval_f1 {kit['f1']:.3f} on {len(labels)} reviews"


def _forgetting(module, state: dict) -> str:
    from day3.classifier.similarity import encode
    from day3.forgetting.probes import Probe, score_probes
    from day3.forgetting.report import ForgettingResult

    prep = state["prep"]
    texts, labels = list(prep.data.validation["text"]), list(prep.data.validation["label"])
    same = [1.0 if a == b else -1.0 for a, b in zip(labels, labels[1:], strict=False)]

    def separation(model, tokenizer) -> float:
        """How much closer neighbouring reviews of one sentiment sit than of two (a mean of
        cosines, not a rank correlation: a few steps of LoRA move it measurably)."""
        emb = encode(model, tokenizer, texts)
        cosines = (emb[:-1] * emb[1:]).sum(axis=1)
        return float(sum(c * s for c, s in zip(cosines, same, strict=True)) / len(same))

    probe = Probe("review-similarity", separation)
    before, after, tok = state["before"], prep.model, prep.tokenizer
    kit = ForgettingResult.from_scores(
        "lora",
        "sentiment",
        0.0,
        score_probes([probe], before, tok),
        score_probes([probe], after, tok),
    ).probes
    got = module.measure_forgetting([probe], before, after, tok)
    want = kit[probe.name]
    mine = got.get(probe.name) if isinstance(got, dict) else None
    if not isinstance(mine, dict) or any(
        not isinstance(mine.get(k), (int, float)) or abs(mine[k] - v) > 1e-6
        for k, v in want.items()
    ):
        shown = {k: round(v, 4) for k, v in want.items()}
        raise StepFailed(f"returned {got!r}; the kit measures {{'{probe.name}': {shown}}}")
    return f"{probe.name}: before {want['before']:.6f}, after {want['after']:.6f}, drop {want['drop']:+.2e}"


def _masking(module, state: dict) -> str:
    import torch
    from datasets import Dataset
    from transformers import DataCollatorForSeq2Seq

    from day3.models.catalogue import resolve_model
    from day3.models.loading import load_seq2seq
    from day3.seq2seq.train import tokenize_pairs

    model, tok = load_seq2seq(resolve_model("tiny-t5").path)
    model.eval()  # dropout off: the two losses must be comparable
    sources = ["is this review positive : a warm , funny film", "translate : the cat sat"]
    targets = ["yes", "the cat sat on the mat"]
    padded = tok(text_target=targets, padding="max_length", max_length=16)["input_ids"]
    masked = module.mask_padding_labels([list(r) for r in padded], tok.pad_token_id)
    enc = tok(sources, padding=True, return_tensors="pt")
    kit_rows = tokenize_pairs(Dataset.from_dict({"input": sources, "target": targets}), tok)
    kit_batch = DataCollatorForSeq2Seq(tok, model=model, label_pad_token_id=-100)(list(kit_rows))
    with torch.no_grad():
        theirs = model(**enc, labels=torch.tensor(masked)).loss.item()
        kit = model(**kit_batch).loss.item()
    if abs(theirs - kit) > 1e-4 * max(1.0, abs(kit)):
        raise StepFailed(
            f"the loss with your labels is {theirs:.5f}, with the kit's collator {kit:.5f}: "
            "padding still counts in the loss"
        )
    return f"loss {theirs:.4f}, the same as with the kit's collator"
