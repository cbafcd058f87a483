"""Final exercise: six small functions that use what the day taught, graded by `day3 check`.

Run:
    day3 check                                         # grade this file (from the course folder)
    python 4_WrapUpAndDemo/final_exercise.py           # the same, from the file itself
    python 4_WrapUpAndDemo/final_exercise.py --smoke   # the tasks only, no end-to-end run
    day3 check 4_WrapUpAndDemo/final_exercise.py --seed 1234 --json   # a report's cases again

How it works: each task below is a function whose docstring says what it must return and where
the course shows how; until you write it, its body raises NotImplementedError. The grader calls
your functions on cases it draws at random each time it runs (the docstrings' examples are only
examples), and gives each task its points or a hint saying what is wrong. Once every task
passes, it runs them together on tiny models: LoRA with your target modules, fine-tuned by the
kit, your parameter count and your compute_metrics inside the Trainer, your forgetting measure
before and after, your label masking in a T5 batch. An exception, an endless loop or a wrong
type in one task costs that task only. Write your code inside the functions: the grader imports
this file, so anything at the top level runs too.

Tasks, in course order (points):
  1. mask_padding_labels   seq2seq labels: padding must not count in the loss        (10)
  2. measure_forgetting    what fine-tuning cost: probes before and after            (15)
  3. pick_strategy         full, LoRA, QLoRA or frozen: what fits in memory          (15)
  4. count_trainable       how much of the model trains                              (10)
  5. lora_targets          where LoRA goes, in any architecture                      (15)
  6. compute_metrics       accuracy and macro-F1, as the Trainer asks                (15)
     end to end            all of them together on tiny models                       (20)
"""

import sys
from pathlib import Path

# %% active="ipynb"
# __file__ = "final_exercise.py"  # no __file__ in a notebook: the lesson beside it

# %%
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))  # run from a checkout too
from day3.core.lesson import kit_python, running  # noqa: E402

kit_python(__file__)  # from a fresh shell: re-runs this file on the kit's .venv Python


# %% [markdown]
# ---------------------------------------------------------------- 1. Session 2: seq2seq labels
# A seq2seq batch pads every target to the same length. The padding must not count in the
# loss: PyTorch's cross-entropy skips the label -100 (its ignore_index), so padding becomes -100.


# %%
def mask_padding_labels(labels: list[list[int]], pad_token_id: int) -> list[list[int]]:
    """Return `labels` (a batch of padded target token ids, one list per row) with every value
    equal to `pad_token_id` replaced by -100. Keep every row and its length; change nothing else.

    Example (T5 pads with id 0; other tokenizers use other ids):
        mask_padding_labels([[8, 3, 1, 0, 0]], pad_token_id=0)  ->  [[8, 3, 1, -100, -100]]

    How: the kit leaves it to the collator, `DataCollatorForSeq2Seq(..., label_pad_token_id=-100)`
    in src/day3/seq2seq/train.py (used by 2_TrainingLLMs/flan_t5_finetuning.py); here you do it
    yourself, on a batch that is already padded.
    """
    raise NotImplementedError("TODO: replace every pad_token_id in labels with -100")


# %% [markdown]
# ---------------------------------------------------------------- 2. Session 2: forgetting
# Fine-tuning teaches a new task and can erase old skills. A probe scores one old skill (higher
# is better); scoring it before and after fine-tuning says how much of it was lost.


# %%
def measure_forgetting(probes, before, after, tokenizer) -> dict[str, dict[str, float]]:
    """Score every probe on the model `before` fine-tuning and on the model `after` it; return
    {probe name: {"before": score, "after": score, "drop": before - after}} for every probe.

    A probe (day3.forgetting.probes.Probe) is called as `probe(model, tokenizer)` and returns a
    float; `probe.name` is its name. A positive drop means the model forgot.

    Example: a probe named "stsb" scoring 0.80 before and 0.65 after gives
        {"stsb": {"before": 0.80, "after": 0.65, "drop": 0.15}}      (up to float rounding)

    How: score_probes in src/day3/forgetting/probes.py and ForgettingResult.from_scores in
    src/day3/forgetting/report.py; 2_TrainingLLMs/flan_t5_finetuning.py measures it on T5.
    """
    raise NotImplementedError("TODO: probe both models, return before, after and drop")


# %% [markdown]
# ---------------------------------------------------------------- 3. Session 2: memory
# Full fine-tuning keeps weights, gradients and optimizer state for every parameter; LoRA only
# for its adapters; QLoRA also stores the frozen weights in 4 bits; frozen trains the head only.
# Prefer the method that learns the most, among those that fit.

# %%
PREFERENCE = ("full", "lora:16", "qlora", "frozen")  # most learning first, least memory last


def pick_strategy(
    model: str, budget_gib: float, batch_size: int, seq_len: int, optimizer: str
) -> str | None:
    """Return the first method of PREFERENCE whose estimated training memory fits in
    `budget_gib` GiB (1 GiB = 2**30 bytes), or None when none fits.

    The estimate of one method, in bytes (the estimator picks the precision: bf16 weights, a
    4-bit base for qlora):
        from day3.estimate.memory import EstimateConfig, run_estimate
        config = EstimateConfig(model=model, method=method, optimizer=optimizer,
                                batch_size=batch_size, seq_len=seq_len)
        run_estimate(config).total_bytes

    Example: with estimates full 3.1 GiB, lora:16 1.2 GiB, qlora 0.7 GiB and frozen 0.5 GiB, a
    budget of 2.0 GiB gives "lora:16", 0.6 gives "frozen", 0.4 gives None.

    How: src/day3/estimate/memory.py (the kit's memory estimator).
    """
    raise NotImplementedError(
        "TODO: estimate each method in PREFERENCE; return the first that fits"
    )


# %% [markdown]
# ---------------------------------------------------------------- 4. Session 3: strategies
# What a strategy trains is the share of parameters that get gradients: all of them (full),
# about 1% (LoRA), the head alone (frozen). Every run of the kit reports that share.


# %%
def count_trainable(model) -> dict:
    """Return {"trainable": int, "total": int, "percent": float} for a torch model: the
    parameters with requires_grad, all parameters, and 100 * trainable / total.

    Count each parameter once (model.parameters() yields a shared one once); buffers such as a
    BatchNorm's running statistics are not parameters.

    Example: 1,000 parameters of which 25 require gradients ->
        {"trainable": 25, "total": 1000, "percent": 2.5}

    How: count_parameters in src/day3/classifier/strategies.py; its numbers are printed by
    3_FineTuning/finetune_strategies_overview.py.
    """
    raise NotImplementedError("TODO: sum p.numel() of the trainable and of all parameters")


# %% [markdown]
# ---------------------------------------------------------------- 5. Session 3: LoRA
# LoRA adds small trainable matrices beside chosen linear layers; the LoRA paper (and the kit)
# adapts the attention's query and value projections. Every architecture names them its own way.


# %%
def lora_targets(model) -> list[str]:
    """Return the names of `model`'s attention query and value projections as peft's
    `LoraConfig(target_modules=...)` takes them: the last part of a module's name, e.g.
    "query" adapts every module whose name ends in ".query". Only those two kinds of layer:
    no keys, no attention outputs, no feed-forward layers, no head.

    `model` can be any architecture Hugging Face builds (BERT, DistilBERT, T5, decoders such as
    Llama, ...): read its layer names with `model.named_modules()` (or `print(model)`).

    Example: for a DistilBERT model  ->  ["q_lin", "v_lin"]

    How: LORA_TARGETS in src/day3/classifier/strategies.py (a table of a few architectures);
    3_FineTuning/finetune_strategies_overview.py trains LoRA with it.
    """
    raise NotImplementedError("TODO: find the query and value projections' names")


# %% [markdown]
# ---------------------------------------------------------------- 6. Session 3: evaluation
# The Trainer calls compute_metrics after each evaluation with the logits and the true labels,
# and logs what it returns as eval_<key>. Accuracy hides a neglected class; macro-F1 does not.


# %%
def compute_metrics(eval_pred) -> dict[str, float]:
    """Return {"accuracy": float, "f1": float}, the F1 being macro-F1: each class's F1 averaged
    with equal weight. `eval_pred` is what the Trainer passes: `logits, labels = eval_pred`,
    logits of shape (n, number of classes), labels of shape (n,).

    Example: logits [[2, 0], [1, 0], [3, 1], [2, 1]] with labels [0, 0, 0, 1] predict class 0
    four times: {"accuracy": 0.75, "f1": 0.4286} (class 0's F1 is 0.857, class 1's is 0).

    How: classification_metrics in src/day3/classifier/evaluate.py (scikit-learn's f1_score
    with average="macro"); 3_FineTuning/distilbert_finetuning.py reports both.
    """
    raise NotImplementedError("TODO: predictions = logits.argmax(-1); accuracy and macro-F1")


# %%
# ---------------------------------------------------------------- grading
if __name__ == "__main__":  # not when the grader imports this file
    from day3.core.flags import Parser, add_flags, build
    from day3.exercise.check import CheckConfig, run_check

    parser = Parser(description="grade this file: " + __doc__.splitlines()[0])
    add_flags(parser, CheckConfig, skip=("file",))
    parser.add_argument("--smoke", action="store_true", help="the tasks only (= --no-end-to-end)")
    args = parser.parse_args()
    with running():  # a mistake in the flags: one line `error: …`; Ctrl-C: `interrupted`
        whole = args.end_to_end and not args.smoke
        run_check(build(CheckConfig, args, file=Path(__file__), end_to_end=whole))
