"""What each session was for, and where to read more: the summary's fixed part, kept as data.

No measured number appears here: a takeaway says what to look for and which command measures
it; the numbers in a summary come only from the learner's own run folders.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Session:
    number: int
    title: str
    folder: str  # where its lessons are
    kinds: tuple[str, ...]  # the kinds of run folder its lessons write
    start: str  # what to run when none of those exists yet
    takeaways: tuple[str, ...]


@dataclass(frozen=True)
class Reading:
    topic: str
    cite: str  # authors, year, title
    where: str  # arXiv id or address
    says: str  # one line: what it says that the kit builds on


SESSIONS = (
    Session(
        1,
        "The Hugging Face ecosystem",
        "1_HuggingFace",
        ("throughput-report", "upload", "overview"),
        "python 1_HuggingFace/model_inference.py",
        (
            "A pipeline is three steps, tokenizer → model → post-processing; doing them by "
            "hand gives the same numbers and shows where each choice is made.",
            "A Hub model is a git repository of files: `from_pretrained` and `save_pretrained` "
            "read and write the same folder layout, so a run folder loads like a Hub model.",
            "Datasets turns a file into a typed, memory-mapped Arrow table: tokenize with "
            "`map(batched=True)`, split stratified, and check labels yourself (a ClassLabel "
            "cast lets an out-of-range label through).",
            "Inference gets faster batched, faster again with batches of similar length padded "
            "to their own longest text, and in bf16 where the hardware has it natively; "
            "`day3 throughput` measures each on your machine.",
            "Share weights as safetensors (never pickle), with a model card whose metadata and "
            "results the Hub reads, and a token that never touches a file or a log.",
        ),
    ),
    Session(
        2,
        "Training LLMs",
        "2_TrainingLLMs",
        ("forgetting-report", "bench-training"),
        "python 2_TrainingLLMs/flan_t5_finetuning.py",
        (
            "Score what needs no training first (zero-shot, few-shot): train only for what "
            "they cannot do.",
            "Training memory is weights + gradients + optimizer states + activations; "
            "activations grow with batch size times sequence length, and parameter-efficient "
            "methods shrink the gradients and optimizer states (`day3 estimate` before you train).",
            "Padding is wasted compute: pad each batch to its own longest text and group texts "
            "of similar length; MFU (achieved FLOP/s over the machine's measured peak) says how "
            "much of the hardware a run really uses.",
            "Two trainings on the same cores compete for them: with stock thread settings each "
            "can slow down far beyond its fair share; give each its share of the threads.",
            "Fine-tuning an instruction-tuned model on one task makes it forget others "
            "(catastrophic forgetting): score the old tasks before and after; LoRA, replaying "
            "old tasks and a lower learning rate forget less.",
        ),
    ),
    Session(
        3,
        "Fine-tuning strategies",
        "3_FineTuning",
        ("classifier-run", "comparison"),
        "python 3_FineTuning/distilbert_finetuning.py",
        (
            "Measure before training: a fresh classification head only guesses, and that "
            "baseline is what fine-tuning has to beat.",
            "Full fine-tuning trains every weight; LoRA and DoRA train low-rank updates, IA3 "
            "rescaling vectors, prompt tuning a few virtual tokens, frozen the head alone. "
            "Fewer trained parameters: less memory, a smaller file to ship, often less learned.",
            "Compare strategies fairly: the same data, steps, batch and seed for every row; "
            "only the learning rate follows the strategy.",
            "Learning and forgetting are two axes: choose a strategy on both, on your task and "
            "your budget.",
            "A run folder holds weights, tokenizer, settings and metrics: reload it, evaluate "
            "it on new data, predict with it, push it.",
        ),
    ),
    Session(
        4,
        "Wrap-up and demos",
        "4_WrapUpAndDemo",
        ("exercise-check", "journey"),
        "day3 check",
        (
            "Every number in this summary comes from a run folder you made, its settings saved "
            "beside its results: it can be reproduced, compared and shared.",
            "Choose from measurements on your own task: accuracy, forgetting, training time, "
            "memory and what you have to ship.",
            "The journey (`day3 journey`, 4_WrapUpAndDemo/journey_demo.py) is the day in one "
            "run: data, a zero-shot baseline, LoRA, evaluation, forgetting, a staged upload "
            "and a report.",
            "The final exercise (`day3 check`) grades the building blocks on cases drawn at "
            "random, then runs them together end to end; it saves your score in "
            "runs/final-exercise, which this summary shows.",
            "Offline and reproducible: fixed seeds, the embedded model checked by its checksums, "
            "outputs written whole or not at all.",
        ),
    ),
)


READING = (
    Reading(
        "LoRA",
        "Hu et al. 2021, LoRA: Low-Rank Adaptation of Large Language Models",
        "arXiv:2106.09685",
        "freeze the pretrained weights and train a low-rank update B·A beside chosen weight "
        "matrices; it can be merged back, so inference costs nothing extra.",
    ),
    Reading(
        "QLoRA",
        "Dettmers et al. 2023, QLoRA: Efficient Finetuning of Quantized LLMs",
        "arXiv:2305.14314",
        "LoRA on a frozen base model quantized to 4-bit NormalFloat, with double quantization "
        "and paged optimizers: the weights' memory shrinks too, not only the optimizer's.",
    ),
    Reading(
        "DoRA",
        "Liu et al. 2024, DoRA: Weight-Decomposed Low-Rank Adaptation",
        "arXiv:2402.09353",
        "split each weight into a magnitude and a direction, train the magnitude and a LoRA "
        "update of the direction: closer to full fine-tuning's updates.",
    ),
    Reading(
        "IA3",
        "Liu et al. 2022, Few-Shot Parameter-Efficient Fine-Tuning is Better and Cheaper than "
        "In-Context Learning",
        "arXiv:2205.05638",
        "learn vectors that rescale the attention keys and values and the feed-forward "
        "activations: far fewer parameters than LoRA.",
    ),
    Reading(
        "Prompt tuning",
        "Lester et al. 2021, The Power of Scale for Parameter-Efficient Prompt Tuning",
        "arXiv:2104.08691",
        "learn a few soft-prompt embeddings in front of the input while the model stays "
        "frozen; the gap to full fine-tuning closes as models grow.",
    ),
    Reading(
        "Catastrophic forgetting",
        "Kirkpatrick et al. 2017, Overcoming catastrophic forgetting in neural networks (EWC)",
        "arXiv:1612.00796",
        "training on a new task overwrites what an old one needed; elastic weight "
        "consolidation slows the change of the weights that mattered most to the old task.",
    ),
    Reading(
        "Learning vs forgetting",
        "Biderman et al. 2024, LoRA Learns Less and Forgets Less",
        "arXiv:2405.09673",
        "full fine-tuning learns the new domain more and forgets more; LoRA keeps more of the "
        "base model's abilities: the trade-off the kit's forgetting tables measure.",
    ),
    Reading(
        "Instruction tuning",
        "Chung et al. 2022, Scaling Instruction-Finetuned Language Models (Flan-T5)",
        "arXiv:2210.11416",
        "fine-tuning on many tasks phrased as instructions makes a model answer new "
        "instructions: the kind of model Session 2 fine-tunes and probes.",
    ),
    Reading(
        "Activation memory",
        "Korthikanti et al. 2022, Reducing Activation Recomputation in Large Transformer Models",
        "arXiv:2205.05198",
        "counts the activations a transformer layer keeps for the backward pass and what "
        "recomputing them saves: the accounting behind `day3 estimate`.",
    ),
    Reading(
        "Training memory",
        "Rajbhandari et al. 2020, ZeRO: Memory Optimizations Toward Training Trillion "
        "Parameter Models",
        "arXiv:1910.02054",
        "where training memory goes (weights, gradients, optimizer states) and how to "
        "partition each across devices.",
    ),
    Reading(
        "Mixed precision",
        "Micikevicius et al. 2018, Mixed Precision Training",
        "arXiv:1710.03740",
        "compute in 16 bits while an fp32 master copy of the weights takes the updates; loss "
        "scaling keeps small fp16 gradients from vanishing.",
    ),
    Reading(
        "Transformers",
        "Hugging Face, Transformers documentation",
        "https://huggingface.co/docs/transformers",
        "models, tokenizers, pipelines and the Trainer: the Auto classes and "
        "from_pretrained/save_pretrained every lesson uses.",
    ),
    Reading(
        "Datasets",
        "Hugging Face, Datasets documentation",
        "https://huggingface.co/docs/datasets",
        "loading, processing (map, filter, split), caching and streaming data sets on Apache "
        "Arrow.",
    ),
    Reading(
        "PEFT",
        "Hugging Face, PEFT documentation",
        "https://huggingface.co/docs/peft",
        "LoRA, DoRA, IA3, prompt tuning and more as adapters on any transformers model: "
        "configs, saving, loading and merging.",
    ),
    Reading(
        "Model cards",
        "Hugging Face, Hub documentation: model cards",
        "https://huggingface.co/docs/hub/model-cards",
        "the README a Hub repository shows: its YAML metadata (license, data sets, results) "
        "and what a reader needs to use the model well.",
    ),
)


def sessions() -> list[dict]:
    return [asdict(s) for s in SESSIONS]


def reading() -> list[dict]:
    return [asdict(r) for r in READING]
