"""`day3 <verb>`: the same functions the lessons call, from a shell.

Every verb is one config dataclass of the library and one function: the flags are generated
from the config (`day3.core.flags`), so their help, defaults and checks exist once, in the
library. User mistakes (UserError) print one line, `error: …`, and exit 2; Ctrl-C prints
`interrupted` and exits 130. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

import day3
from day3.classifier.evaluate import EvalConfig
from day3.classifier.predict import PredictConfig
from day3.classifier.throughput import ThroughputConfig
from day3.classifier.train import ClassifierJob
from day3.compare.run import CompareConfig
from day3.core.env import configure
from day3.core.errors import UserError
from day3.core.flags import Parser, add_flags, build
from day3.core.ui import is_main_process
from day3.estimate.config import EstimateConfig
from day3.exercise.check import CheckConfig
from day3.forgetting.encoder import EncoderForgettingConfig
from day3.forgetting.seq2seq import Seq2SeqForgettingConfig
from day3.hub.push import PushConfig
from day3.journey.config import JourneyConfig
from day3.miniflan.build import BuildConfig
from day3.overview.collect import OverviewConfig
from day3.report.config import ReportConfig
from day3.serve.config import ServeConfig
from day3.summary.collect import SummaryConfig
from day3.training.bench import BenchConfig

SUMMARY = ("strategy", "train_seconds", "samples_per_second", "peak_memory_mb")
SUMMARY += ("trainable_params", "trainable_percent")


def finetune_classifier(job: ClassifierJob) -> None:
    from day3.classifier.run import run_classifier_job

    metrics = run_classifier_job(job)
    if not is_main_process():  # one summary per run, not one per rank
        return
    summary = {"run": str(job.output), **{k: metrics[k] for k in SUMMARY}}
    summary |= {k: metrics["validation"][k] for k in ("accuracy", "f1", "n")}
    print(json.dumps(summary))


def eval_classifier(config: EvalConfig) -> None:
    from day3.classifier.evaluate import evaluate_run

    print(json.dumps(evaluate_run(config)))


def predict(config: PredictConfig) -> None:
    from day3.classifier.predict import predict_run

    for p in predict_run(config):
        print(f"{p.label}\t{p.score:.4f}\t{p.text}")


def build_mini_flan(config: BuildConfig) -> None:
    from day3.miniflan.build import build_run

    print(json.dumps(build_run(config)))


def forgetting_encoder(config: EncoderForgettingConfig) -> None:
    from day3.forgetting.encoder import run_encoder_forgetting

    report = run_encoder_forgetting(config)
    print(json.dumps({"output": str(config.output), "results": report["results"]}))


def forgetting_seq2seq(config: Seq2SeqForgettingConfig) -> None:
    from day3.forgetting.seq2seq import run_seq2seq_forgetting

    report = run_seq2seq_forgetting(config)
    print(json.dumps({"output": str(config.output), "results": report["results"]}))


def compare_strategies(config: CompareConfig) -> None:
    from day3.compare.run import compare_strategies as run

    report = run(config)
    print(json.dumps({"output": str(config.output), "rows": report["rows"]}))


def push(config: PushConfig) -> None:
    from day3.hub.push import push_run

    push_run(config)


def throughput(config: ThroughputConfig) -> None:
    from day3.classifier.throughput import run_throughput, table_markdown

    rows, context = run_throughput(config)
    print(table_markdown(rows))
    print(
        f"({context['sentences']} sentences from {context['data']}; {context['cpus']} cpus, "
        f"{context['torch_threads']} torch threads, median of {context['repeats']})"
    )


def bench_training(config: BenchConfig) -> None:
    from day3.training.bench import run_bench
    from day3.training.report import markdown

    print(markdown(run_bench(config)))


def journey(config: JourneyConfig) -> None:
    from day3.journey.run import run_journey

    report = run_journey(config)
    print(json.dumps({"output": str(config.output), "timings": report["timings"]}))


def estimate(config: EstimateConfig) -> None:
    from day3.estimate.report import estimate_command

    estimate_command(config)


def check(config: CheckConfig) -> None:
    from day3.exercise.check import run_check

    run_check(config)


def report(config: ReportConfig) -> None:
    from day3.report.run import run_report

    manifest = run_report(config)
    missing = sorted(n for n, e in manifest["files"].items() if e["missing"])
    print(json.dumps({"output": manifest["output"], "files": len(manifest["files"]),
                      "missing": missing, "changed": manifest["changed"]}))  # fmt: skip


def serve(config: ServeConfig) -> None:
    from day3.serve.app import run_serve

    run_serve(config)


def summary(config: SummaryConfig) -> None:
    from day3.summary.collect import run_summary
    from day3.summary.render import markdown

    sys.stdout.write(markdown(run_summary(config)))


def overview(config: OverviewConfig) -> None:
    from day3.overview.collect import overview as collect

    info = collect(config)
    if config.json:
        sys.stdout.write(json.dumps(info, indent=2) + "\n")
    else:
        from day3.overview.render import render

        render(info)


@dataclass(frozen=True)
class Verb:
    name: str  # "forgetting encoder" is a verb with a sub-verb
    help: str
    config: type
    run: Callable
    defaults: dict = field(default_factory=dict)


VERBS = (
    Verb("journey", "the day in one run: data, zero-shot, LoRA, evaluate, forgetting, ship, "
         "report", JourneyConfig, journey),
    Verb("finetune-classifier", "fine-tune a text classifier (full, lora, ia3, ...)",
         ClassifierJob, finetune_classifier),
    Verb("eval-classifier", "accuracy and macro-F1 of a run on a labelled file",
         EvalConfig, eval_classifier),
    Verb("predict", "label and probability for each text", PredictConfig, predict),
    Verb("build-mini-flan", "build the offline Flan-T5 stand-in (cached)",
         BuildConfig, build_mini_flan),
    Verb("forgetting encoder", "fine-tune an encoder several ways; STS before vs after",
         EncoderForgettingConfig, forgetting_encoder),
    Verb("forgetting seq2seq", "fine-tune an instruction-tuned T5; old tasks before vs after",
         Seq2SeqForgettingConfig, forgetting_seq2seq),
    Verb("compare-strategies",
         "one table: every strategy, and multitask, on the same budget",
         CompareConfig, compare_strategies),
    Verb("push", "upload a run folder and its model card to the Hub", PushConfig, push),
    Verb("throughput", "sentences/s: naive vs batched vs length-sorted vs bf16 inference",
         ThroughputConfig, throughput),
    Verb("bench-training", "what each training optimization buys here, measured row by row",
         BenchConfig, bench_training),
    Verb("estimate", "memory and compute of a fine-tuning setting, on paper (--measure: and here)",
         EstimateConfig, estimate),
    Verb("check", "grade the final exercise on hidden cases; the score is saved in "
         "runs/final-exercise", CheckConfig, check),
    Verb("serve", "a local web app on a run: Predict (label, probabilities) and Train tabs",
         ServeConfig, serve),
    Verb("summary", "the course recap from your run folders: numbers, tables, exercise score, "
         "takeaways, reading", SummaryConfig, summary),
    Verb("report", "every number, table and figure of the slides and notes, from your runs",
         ReportConfig, report),
    Verb("overview", "versions, Hub, caches, mirror, embedded models", OverviewConfig, overview),
)  # fmt: skip
GROUPS = {"forgetting": "measure what fine-tuning makes a model forget"}


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="day3", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"day3 {day3.__version__}")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    groups: dict[str, argparse._SubParsersAction] = {}
    for verb in VERBS:
        group, _, sub = verb.name.partition(" ")
        where = verbs
        if sub:
            if group not in groups:
                p = verbs.add_parser(group, help=GROUPS[group])
                groups[group] = p.add_subparsers(
                    dest=f"{group}_kind", required=True, metavar="KIND"
                )
            where, name = groups[group], sub
        else:
            name = group
        p = where.add_parser(name, help=verb.help, description=verb.config.__doc__)
        add_flags(p, verb.config, verb.defaults)
        p.set_defaults(verb_spec=verb)
    return parser


def main(argv: list[str] | None = None) -> int:
    configure()  # the offline switches, before any Hugging Face library is imported
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as e:  # --help, --version, or argparse's one-line error (exit 2)
        return int(e.code or 0)
    verb = args.verb_spec
    try:
        verb.run(build(verb.config, args))
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
