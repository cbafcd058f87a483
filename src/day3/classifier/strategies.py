"""Fine-tuning strategies, by parallel names: `full`, `lora`, `ia3`, `prompt-tuning`, `frozen`.

- full:          every weight trains. Best accuracy, most memory, most forgetting.
- lora:          the backbone is frozen; low-rank adapters (peft) train on attention projections
                 and the classification head trains in full (`modules_to_save`), since it starts
                 random.
- dora:          LoRA whose update is split into a direction (the low-rank part) and a learned
                 magnitude per output (DoRA, Liu et al. 2024): closer to full fine-tuning's
                 updates at LoRA's size, at some extra compute per step.
- ia3:           the backbone is frozen; learned vectors rescale the attention keys and values
                 and the feed-forward activations (IA3, Liu et al. 2022). Fewer parameters than
                 LoRA; the head trains in full as with LoRA.
- prompt-tuning: the backbone is frozen; trainable "virtual token" embeddings are prepended to
                 every input (Lester et al. 2021) and the head trains in full. The encoder's
                 weights never change: it only sees different inputs.
- frozen:        the backbone is frozen and only the head trains: transfer learning as feature
                 extraction. Cheapest; the pretrained features must already separate the classes.

The "head" is parallel across architectures: BERT's pooler + classifier, DistilBERT's
pre_classifier + classifier (both are a dense layer then the output layer).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from day3.core import checks
from day3.core.errors import UserError

STRATEGIES = ("full", "lora", "dora", "ia3", "prompt-tuning", "frozen")
PEFT_STRATEGIES = ("lora", "dora", "ia3", "prompt-tuning")
RANKED = ("lora", "dora")  # strategies that take a rank: lora:16
# What --strategy accepts, said once for every help text and error.
CHOICES = ", ".join(f"{s}, {s}:R" if s in RANKED else s for s in STRATEGIES)


# peft has no defaults for several encoders (DistilBERT among them): be explicit everywhere.
LORA_TARGETS: dict[str, list[str]] = {
    "bert": ["query", "value"],
    "distilbert": ["q_lin", "v_lin"],
    "roberta": ["query", "value"],
    "xlm-roberta": ["query", "value"],
    "t5": ["q", "v"],
}


# IA3 rescales keys, values and the feed-forward block's inner activation (the input of its
# second linear layer, hence "feedforward": peft scales that layer's input, not its output).
IA3_TARGETS: dict[str, list[str]] = {
    "bert": ["key", "value", "output.dense"],
    "distilbert": ["k_lin", "v_lin", "lin2"],
    "roberta": ["key", "value", "output.dense"],
    "xlm-roberta": ["key", "value", "output.dense"],
}


IA3_FEEDFORWARD: dict[str, list[str]] = {
    "bert": ["output.dense"],
    "distilbert": ["lin2"],
    "roberta": ["output.dense"],
    "xlm-roberta": ["output.dense"],
}


# In BERT-style layers the suffix "output.dense" also names the attention output projection
# (`attention.output.dense`), which the IA3 paper leaves alone; peft's own BERT default adapts
# it too. Excluding it keeps exactly the paper's three vectors per layer.
IA3_EXCLUDE: dict[str, list[str]] = {
    "bert": ["attention.output.dense"],
    "roberta": ["attention.output.dense"],
    "xlm-roberta": ["attention.output.dense"],
}


HEAD_MODULES: dict[str, list[str]] = {
    "bert": ["pooler", "classifier"],
    "distilbert": ["pre_classifier", "classifier"],
    "roberta": ["classifier"],
    "xlm-roberta": ["classifier"],
}


@dataclass
class StrategyConfig:
    """How to fine-tune. `lora_*` fields feed a `peft.LoraConfig`, `num_virtual_tokens` a
    `peft.PromptTuningConfig`; each is ignored by the other strategies."""

    name: str = field(default="full", metadata={"help": " | ".join(STRATEGIES)})
    lora_r: int = field(default=16, metadata={"help": "LoRA rank (adapter width)"})
    lora_alpha: int | None = field(default=None, metadata={"help": "LoRA scale; default 2*r"})
    lora_dropout: float = field(default=0.1, metadata={"help": "dropout on the LoRA input"})
    num_virtual_tokens: int = field(
        default=20, metadata={"help": "prompt tuning: trainable tokens prepended to each input"}
    )
    target_modules: list[str] | None = field(
        default=None, metadata={"help": "modules to adapt (lora, ia3); default per architecture"}
    )

    def __post_init__(self) -> None:
        if self.name not in STRATEGIES:
            raise UserError(
                f"unknown strategy '{self.name}'; choose one of {', '.join(STRATEGIES)}"
            )
        checks.count("lora_r", self.lora_r)
        if self.lora_alpha is not None:
            checks.positive("lora_alpha", self.lora_alpha)
        checks.fraction("lora_dropout", self.lora_dropout)
        checks.count("num_virtual_tokens", self.num_virtual_tokens)

    @classmethod
    def parse(cls, text: str) -> StrategyConfig:
        """`lora:16` -> lora at rank 16; `full`, `ia3`, `prompt-tuning`, `frozen` as they are."""
        name, _, rank = text.partition(":")
        if rank and name in RANKED:
            if not rank.isdigit() or int(rank) < 1:
                raise UserError(
                    f"bad strategy '{text}': the LoRA rank must be a positive integer, e.g. lora:16"
                )
            return cls(name=name, lora_r=int(rank))
        if rank:
            raise UserError(
                f"bad strategy '{text}': only {' and '.join(RANKED)} "
                f"{'takes' if len(RANKED) == 1 else 'take'} a rank (lora:16)"
            )
        return cls(name=name)

    @property
    def label(self) -> str:
        return f"{self.name}:{self.lora_r}" if self.name in RANKED else self.name

    @property
    def is_peft(self) -> bool:
        return self.name in PEFT_STRATEGIES

    def lora_config(self, model_type: str, task: str = "classification"):
        """LoRA on the architecture's attention projections. `classification` also trains the
        head in full (`modules_to_save`: it starts random); `seq2seq` (T5) has no new head."""
        from peft import LoraConfig, TaskType

        targets = self.target_modules or LORA_TARGETS.get(model_type)
        if not targets:
            raise UserError(f"no default LoRA targets for '{model_type}'; pass --target-modules")
        seq2seq = task == "seq2seq"
        return LoraConfig(
            task_type=TaskType.SEQ_2_SEQ_LM if seq2seq else TaskType.SEQ_CLS,
            r=self.lora_r,
            lora_alpha=self.lora_alpha or 2 * self.lora_r,
            lora_dropout=self.lora_dropout,
            target_modules=targets,
            use_dora=self.name == "dora",
            modules_to_save=None if seq2seq else head_modules(model_type),
        )

    def ia3_config(self, model_type: str):
        from peft import IA3Config, TaskType

        targets = self.target_modules or IA3_TARGETS.get(model_type)
        if not targets:
            raise UserError(f"no default IA3 targets for '{model_type}'; pass --target-modules")
        # peft requires the feed-forward modules to be among the targets.
        feedforward = [m for m in IA3_FEEDFORWARD.get(model_type, []) if m in targets]
        return IA3Config(
            task_type=TaskType.SEQ_CLS,
            target_modules=targets,
            feedforward_modules=feedforward,
            exclude_modules=IA3_EXCLUDE.get(model_type),
            modules_to_save=head_modules(model_type),
        )

    def prompt_tuning_config(self, model_type: str, model_config=None):
        from peft import PromptTuningConfig, PromptTuningInit, TaskType

        # peft reads sizes from the config *dict*, where DistilBERT calls them `dim`, `n_heads`,
        # `n_layers`; the config object maps the standard names for every architecture.
        sizes = {}
        if model_config is not None:
            sizes = {
                "token_dim": model_config.hidden_size,
                "num_attention_heads": model_config.num_attention_heads,
                "num_layers": model_config.num_hidden_layers,
            }
        return PromptTuningConfig(
            task_type=TaskType.SEQ_CLS,
            num_virtual_tokens=self.num_virtual_tokens,
            prompt_tuning_init=PromptTuningInit.RANDOM,
            **sizes,
            # peft adds `classifier` itself; BERT's pooler is part of the random-enough head too.
            modules_to_save=head_modules(model_type),
        )

    def peft_config(self, model_config):
        """The peft config for this strategy on a model with this `transformers` config."""
        model_type = model_config.model_type
        if self.name in ("lora", "dora"):
            return self.lora_config(model_type)
        if self.name == "ia3":
            return self.ia3_config(model_type)
        if self.name == "prompt-tuning":
            positions = getattr(model_config, "max_position_embeddings", None)
            if positions is not None and self.num_virtual_tokens >= positions:
                raise UserError(
                    f"{self.num_virtual_tokens} virtual tokens do not fit the model's "
                    f"{positions} positions; use fewer (--num-virtual-tokens)"
                )
            return self.prompt_tuning_config(model_type, model_config)
        raise ValueError(f"{self.name} is not a peft strategy")


def head_modules(model_type: str) -> list[str]:
    return list(HEAD_MODULES.get(model_type, ["classifier"]))


def apply_strategy(model, strategy: StrategyConfig):
    """Return the model to train: itself (full, frozen with grads off) or a PeftModel (lora,
    ia3, prompt-tuning)."""
    model_type = model.config.model_type
    if strategy.name == "full":
        for p in model.parameters():
            p.requires_grad = True
        return model
    if strategy.name == "frozen":
        heads = head_modules(model_type)
        for name, p in model.named_parameters():
            p.requires_grad = any(f".{h}." in f".{name}" for h in heads)
        return model
    from peft import get_peft_model

    return get_peft_model(model, strategy.peft_config(model.config))


def count_parameters(model) -> tuple[int, int]:
    """(trainable, total). For a PeftModel, modules_to_save copies count once, as trained;
    adapter weights and virtual tokens count in the total (they are part of the model now)."""
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for n, p in model.named_parameters() if "original_module" not in n)
    return trainable, total


def parse_list(items, parse_one, label, hint: str) -> list:
    """The one parser of strategy lists (`--strategies full,lora:16`): `items` is a comma
    list or a sequence; each is parsed by `parse_one` (or kept if already parsed); the list
    must be non-empty and name each strategy once (`label` gives an item's name). `hint` is
    the advice shown for an empty list."""
    if isinstance(items, str):
        items = [s.strip() for s in items.split(",") if s.strip()]
    parsed = [parse_one(s) if isinstance(s, str) else s for s in items]
    if not parsed:
        raise UserError(f"--strategies is empty; {hint}")
    labels = [label(p) for p in parsed]
    if len(set(labels)) != len(labels):
        raise UserError(
            f"--strategies lists a strategy twice ({', '.join(labels)}); give each once"
        )
    return parsed


def parse_strategies(strategies) -> list[StrategyConfig]:
    """`"full,lora:16"` or a list of names/StrategyConfigs -> distinct StrategyConfigs."""
    return parse_list(
        strategies, StrategyConfig.parse, lambda c: c.label, "try --strategies full,lora:16,frozen"
    )


# ---------------------------------------------------------------- learning rates

# The kit's one learning-rate table, by regime and strategy. Why they differ: a random head and
# a frozen backbone need a far larger step than weights already near a good optimum; LoRA sits
# between (its B matrix starts at zero); IA3's few scaling vectors start at 1 (a no-op) and need
# large steps; prompt tuning's virtual tokens share theirs with the head.
# - encoder:  MiniLM-sized encoders on thousands of rows (SST-2). ia3 and prompt-tuning were
#             picked on MiniLM, 4,000 SST-2 sentences (benchmarks/RESULTS.md, a one-off sweep).
# - embedded: the same on the 400 embedded reviews: only ~100 steps in all, so bigger steps.
# - t5:       the mini-FLAN stand-in (pretrained at 5e-4); its adapters start at zero.
LEARNING_RATES: dict[str, dict[str, float]] = {
    "encoder": {
        **{"full": 5e-5, "lora": 5e-4, "dora": 5e-4, "ia3": 1e-2},
        **{"prompt-tuning": 3e-3, "frozen": 2e-3},
    },
    "embedded": {
        **{"full": 1e-4, "lora": 1e-3, "dora": 1e-3, "ia3": 1e-3},
        **{"prompt-tuning": 1e-3, "frozen": 3e-3},
    },
    "t5": {"full": 5e-4, "lora": 2e-3},
}


def learning_rate(strategy: str, regime: str = "encoder") -> float:
    """The default learning rate of a strategy (`full`, `lora`, ... or a label like `lora:16`)."""
    name = strategy.partition(":")[0]
    table = LEARNING_RATES[regime]
    if name not in table:
        raise UserError(f"no default learning rate for '{name}' ({regime}); pass --lr")
    return table[name]
