"""Fine-tuning strategies, by parallel names: `full`, `lora`, `frozen`.

- full:   every weight trains. Best accuracy, most memory, most forgetting.
- lora:   the backbone is frozen; low-rank adapters (peft) train on attention projections and
          the classification head trains in full (`modules_to_save`), since it starts random.
- frozen: the backbone is frozen and only the head trains: transfer learning as feature
          extraction. Cheapest; the pretrained features must already separate the classes.

The "head" is parallel across architectures: BERT's pooler + classifier, DistilBERT's
pre_classifier + classifier (both are a dense layer then the output layer).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from day3.errors import UserError

STRATEGIES = ("full", "lora", "frozen")

# peft has no defaults for several encoders (DistilBERT among them): be explicit everywhere.
LORA_TARGETS: dict[str, list[str]] = {
    "bert": ["query", "value"],
    "distilbert": ["q_lin", "v_lin"],
    "roberta": ["query", "value"],
    "xlm-roberta": ["query", "value"],
    "t5": ["q", "v"],
}
HEAD_MODULES: dict[str, list[str]] = {
    "bert": ["pooler", "classifier"],
    "distilbert": ["pre_classifier", "classifier"],
    "roberta": ["classifier"],
    "xlm-roberta": ["classifier"],
}


@dataclass
class StrategyConfig:
    """How to fine-tune. `lora_*` fields feed a `peft.LoraConfig`; ignored by other strategies."""

    name: str = field(default="full", metadata={"help": "full | lora | frozen"})
    lora_r: int = field(default=16, metadata={"help": "LoRA rank (adapter width)"})
    lora_alpha: int | None = field(default=None, metadata={"help": "LoRA scale; default 2*r"})
    lora_dropout: float = field(default=0.1, metadata={"help": "dropout on the LoRA input"})
    target_modules: list[str] | None = field(
        default=None, metadata={"help": "modules to adapt; default per architecture"}
    )

    def __post_init__(self) -> None:
        if self.name not in STRATEGIES:
            raise UserError(
                f"unknown strategy '{self.name}'; choose one of {', '.join(STRATEGIES)}"
            )
        if self.lora_r < 1:
            raise UserError(f"--lora-r must be at least 1 (got {self.lora_r})")
        if not 0 <= self.lora_dropout < 1:
            raise UserError(f"--lora-dropout must be in [0, 1) (got {self.lora_dropout})")

    @classmethod
    def parse(cls, text: str) -> StrategyConfig:
        """`lora:16` -> lora at rank 16; `full`, `frozen` as they are."""
        name, _, rank = text.partition(":")
        if rank and name == "lora":
            if not rank.isdigit():
                raise UserError(
                    f"bad strategy '{text}': the LoRA rank must be an integer, e.g. lora:16"
                )
            return cls(name="lora", lora_r=int(rank))
        if rank:
            raise UserError(f"bad strategy '{text}': only lora takes a rank (lora:16)")
        return cls(name=name)

    @property
    def label(self) -> str:
        return f"lora:{self.lora_r}" if self.name == "lora" else self.name

    def lora_config(self, model_type: str):
        from peft import LoraConfig, TaskType

        targets = self.target_modules or LORA_TARGETS.get(model_type)
        if not targets:
            raise UserError(f"no default LoRA targets for '{model_type}'; pass --target-modules")
        return LoraConfig(
            task_type=TaskType.SEQ_CLS,
            r=self.lora_r,
            lora_alpha=self.lora_alpha or 2 * self.lora_r,
            lora_dropout=self.lora_dropout,
            target_modules=targets,
            modules_to_save=head_modules(model_type),
        )


def head_modules(model_type: str) -> list[str]:
    return HEAD_MODULES.get(model_type, ["classifier"])


def apply_strategy(model, strategy: StrategyConfig):
    """Return the model to train: itself (full, frozen with grads off) or a PeftModel (lora)."""
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

    return get_peft_model(model, strategy.lora_config(model_type))


def count_parameters(model) -> tuple[int, int]:
    """(trainable, total). For a PeftModel, modules_to_save copies count once, as trained."""
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for n, p in model.named_parameters() if "original_module" not in n)
    return trainable, total
