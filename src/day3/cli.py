"""`day3 <verb>`: the same functions the lessons call, from a shell.

User mistakes (UserError) print one line, `error: …`, and exit 2. Anything else is a bug and
keeps its traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import day3  # noqa: F401  (sets the offline switches before any HF import)
from day3.errors import UserError


def _label_map(text: str | None) -> dict[str, int] | None:
    if not text:
        return None
    pairs = [p.partition("=") for p in text.split(",") if p.strip()]
    try:
        return {k.strip(): int(v) for k, _, v in pairs}
    except ValueError:
        raise UserError(f"bad --label-map '{text}'; write it as neg=0,pos=1") from None


def _names(text: str | None) -> tuple[str, ...] | None:
    return tuple(n.strip() for n in text.split(",")) if text else None


def add_data_args(p: argparse.ArgumentParser, default: str = "auto") -> None:
    g = p.add_argument_group("data")
    g.add_argument(
        "--data",
        default=default,
        help="sst2 | imdb | embedded | auto | FILE (csv, tsv, jsonl, parquet)",
    )
    g.add_argument("--validation-file", help="validation FILE; default: 10%% of --data held out")
    g.add_argument("--text-column", help="default: sentence (or the known data set's)")
    g.add_argument("--label-column", help="default: label")
    g.add_argument("--label-names", help="class names in id order, e.g. negative,positive")
    g.add_argument("--label-map", help="map raw labels to ids, e.g. neg=0,pos=1")
    g.add_argument("--max-train-samples", type=int)
    g.add_argument("--max-eval-samples", type=int)


def add_train_args(p: argparse.ArgumentParser, output_default: str | None = None) -> None:
    """The training flags. `output_default` (a lesson's folder): --output becomes optional."""
    g = p.add_argument_group("training")
    g.add_argument(
        "--model", default="minilm", help="minilm | distilbert | tiny-bert | FOLDER | HUB_ID"
    )
    g.add_argument(
        "--strategy", default="full", help="full | lora | lora:R | ia3 | prompt-tuning | frozen"
    )
    g.add_argument("--lora-r", type=int, help="LoRA rank (default 16)")
    if output_default is None:
        g.add_argument("--output", required=True, help="run folder to write")
    else:
        g.add_argument(
            "--output",
            help=f"run folder to write (default {output_default}: a rerun replaces it)",
        )
    g.add_argument("--overwrite", action="store_true", help="replace a non-empty --output")
    g.add_argument("--epochs", type=float, default=3.0)
    g.add_argument(
        "--lr",
        type=float,
        help="default per strategy: full 5e-5, lora 5e-4, ia3 1e-2, prompt-tuning 3e-3, frozen 2e-3",
    )
    g.add_argument("--batch-size", type=int, default=32)
    g.add_argument("--max-length", type=int, default=128)
    g.add_argument("--seed", type=int, default=42)
    g.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"])
    g.add_argument("--no-bf16", action="store_true", help="train in fp32 even where bf16 is native")
    g.add_argument("--no-merge", action="store_true", help="LoRA: skip the merged-model export")
    g.add_argument("--allow-pickle", action="store_true", help="accept *.bin (pickle) weights")
    g.add_argument(
        "--save-steps",
        type=int,
        metavar="N",
        help="checkpoint every N steps into OUTPUT.checkpoints/ (kept until the run completes)",
    )
    g.add_argument(
        "--resume",
        action="store_true",
        help="continue from the newest complete checkpoint (none: start fresh)",
    )


def data_spec(args) -> day3.DataSpec:
    from day3.data import DataSpec

    return DataSpec(
        data=args.data,
        validation_file=args.validation_file,
        text_column=args.text_column,
        label_column=args.label_column,
        label_names=_names(args.label_names),
        label_map=_label_map(args.label_map),
        max_train_samples=args.max_train_samples,
        max_eval_samples=args.max_eval_samples,
        seed=getattr(args, "seed", 42),
    )


def classifier_job(args):
    from day3.strategies import StrategyConfig
    from day3.trainers import ClassifierJob

    strategy = StrategyConfig.parse(args.strategy)
    if args.lora_r is not None:
        strategy = StrategyConfig(name=strategy.name, lora_r=args.lora_r)
    return ClassifierJob(
        model=args.model,
        data=data_spec(args),
        strategy=strategy,
        output=Path(args.output),
        max_length=args.max_length,
        overwrite=args.overwrite,
        replace_own=getattr(args, "replace_own", False),
        merge_lora=not args.no_merge,
        allow_pickle=args.allow_pickle,
        device=args.device,
        bf16=False if args.no_bf16 else "auto",
        epochs=args.epochs,
        learning_rate=args.lr,
        batch_size=args.batch_size,
        seed=args.seed,
        save_steps=args.save_steps,
        resume=args.resume,
    )


def cmd_finetune_classifier(args) -> int:
    from day3.trainers import run_classifier_job

    metrics = run_classifier_job(classifier_job(args))
    keys = (
        "strategy",
        "train_seconds",
        "samples_per_second",
        "peak_memory_mb",
        "trainable_params",
        "trainable_percent",
    )
    summary = {
        "run": args.output,
        **{k: metrics[k] for k in keys},
        **{k: metrics["validation"][k] for k in ("accuracy", "f1", "n")},
    }
    print(json.dumps(summary))
    return 0


def cmd_eval_classifier(args) -> int:
    from day3.data import load_labelled_file
    from day3.evaluation import evaluate_classifier
    from day3.inference import id2label_of, load_classifier_folder, run_settings

    label_map = _label_map(args.label_map)  # a flag mistake before the model loads
    model, tok = load_classifier_folder(args.run_dir, args.allow_pickle)
    data_settings = run_settings(args.run_dir).get("data", {})
    text_col = args.text_column or data_settings.get("text_column") or "sentence"
    label_col = args.label_column or data_settings.get("label_column") or "label"
    names = tuple(id2label_of(model)[i] for i in range(model.config.num_labels))
    dataset = load_labelled_file(args.file, text_col, label_col, names, label_map)
    max_length = run_settings(args.run_dir).get("max_length", 128)
    m = evaluate_classifier(model, tok, dataset, max_length=max_length)
    print(json.dumps({k: m[k] for k in ("accuracy", "f1", "n")}))
    return 0


def cmd_predict(args) -> int:
    from day3.inference import load_classifier_folder, load_texts, predict, run_settings

    texts = [t for t in args.texts if t.strip()]
    if args.file:
        texts += load_texts(args.file, args.text_column)[0]
    if not texts:
        raise UserError("no text to classify; pass one or more quoted sentences or --file")
    if args.batch_size < 1:
        raise UserError(f"--batch-size must be at least 1 (got {args.batch_size})")
    model, tok = load_classifier_folder(args.run_dir, args.allow_pickle)
    max_length = run_settings(args.run_dir).get("max_length", 128)
    for p in predict(model, tok, texts, batch_size=args.batch_size, max_length=max_length):
        print(f"{p.label}\t{p.score:.4f}\t{p.text}")
    return 0


def cmd_build_mini_flan(args) -> int:
    from day3.mini_flan import build_info, build_mini_flan

    out = Path(args.output) if args.output else None
    folder = build_mini_flan(out, force=args.force)
    info = build_info(folder)
    print(
        json.dumps(
            {
                "folder": str(folder),
                "stand_in": info["stand_in"],
                "exact_match": info["exact_match"],
                "build_seconds": info["build_seconds"],
            }
        )
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="day3", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"day3 {day3.__version__}")
    sub = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    p = sub.add_parser(
        "finetune-classifier", help="fine-tune a text classifier (full, lora, frozen)"
    )
    add_train_args(p)
    add_data_args(p)
    p.set_defaults(func=cmd_finetune_classifier)

    p = sub.add_parser("eval-classifier", help="accuracy and macro-F1 of a run on a labelled file")
    p.add_argument("run_dir")
    p.add_argument("file", help="csv, tsv, jsonl or parquet with text and label columns")
    p.add_argument("--text-column")
    p.add_argument("--label-column")
    p.add_argument("--label-map", help="map raw labels to ids, e.g. neg=0,pos=1")
    p.add_argument("--allow-pickle", action="store_true")
    p.set_defaults(func=cmd_eval_classifier)

    p = sub.add_parser("predict", help="label and probability for each text")
    p.add_argument("run_dir")
    p.add_argument("texts", nargs="*", help="quoted sentences")
    p.add_argument("--file", help="texts to label: .txt (one per line), csv, tsv, jsonl, parquet")
    p.add_argument("--text-column", help="--file column holding the text (default: sentence)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--allow-pickle", action="store_true")
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("build-mini-flan", help="build the offline Flan-T5 stand-in (cached)")
    p.add_argument("--force", action="store_true", help="rebuild even if cached")
    p.add_argument("--output", help="folder to build into (default: the day3 cache)")
    p.set_defaults(func=cmd_build_mini_flan)

    from day3.forgetting import register_cli as register_forgetting

    register_forgetting(sub)

    from day3.compare import register_cli as register_compare

    register_compare(sub)

    from day3.hub import register_cli as register_hub

    register_hub(sub)

    from day3.throughput import register_cli as register_throughput

    register_throughput(sub)

    from day3.overview import register_cli as register_overview

    register_overview(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
