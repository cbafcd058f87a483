"""A model's parameters, counted without allocating them: the config is built on the meta
device (`accelerate.init_empty_weights`), so an 8B model costs a second and no memory.

`include_buffers=True` matters: without it transformers 5 does not tie T5's embeddings on the
empty weights and counts them three times. Note also that transformers 5 always ties T5's
`lm_head` to the shared embeddings (T5Config forces `tie_word_embeddings=True`), so Flan-T5
small counts 60,511,616 parameters in memory here, not the checkpoint's 76,961,152.
"""

from __future__ import annotations

from dataclasses import dataclass

from day3.core.errors import UserError
from day3.estimate.activations import Shape

TASKS = ("classification", "causal-lm", "seq2seq-lm")


@dataclass(frozen=True)
class Linear:
    name: str
    d_in: int
    d_out: int
    bias: bool
    head: bool  # part of the head (trains under `frozen`; never quantized)

    @property
    def params(self) -> int:
        return self.d_in * self.d_out + (self.d_out if self.bias else 0)


@dataclass(frozen=True)
class Inventory:
    """Every parameter of the model the kit would train (tied weights once)."""

    model_type: str
    task: str
    total: int
    base: int  # the AutoModel part (BertModel, with its pooler; LlamaModel, without lm_head)
    head: int  # trains under `frozen` (and in full under LoRA for a classifier)
    params: tuple[tuple[str, tuple[int, ...], bool], ...]  # (name, shape, in the head)
    linears: tuple[Linear, ...]
    shape: Shape

    @property
    def matmul(self) -> int:
        """Parameters a token multiplies through (every nn.Linear; embedding lookups and
        norms are not matmuls): the N of 6·N·D."""
        return sum(lin.params for lin in self.linears)

    @property
    def head_matmul(self) -> int:
        return sum(lin.params for lin in self.linears if lin.head)


def task_of(config) -> str:
    """What the kit fine-tunes this architecture as: encoders become classifiers."""
    if getattr(config, "is_encoder_decoder", False):
        return "seq2seq-lm"
    archs = getattr(config, "architectures", None) or []
    if any("CausalLM" in a for a in archs) or config.model_type in CAUSAL_TYPES:
        return "causal-lm"
    return "classification"


CAUSAL_TYPES = ("llama", "mistral", "qwen2", "qwen3", "gemma", "gemma2", "gpt2", "gpt_neox", "phi")


def head_names(task: str, model_type: str) -> list[str]:
    from day3.classifier.strategies import head_modules

    return head_modules(model_type) if task == "classification" else ["lm_head"]


def build_inventory(config) -> Inventory:
    """Build `config` on the meta device as the kit would train it and list its parameters."""
    import torch
    from accelerate import init_empty_weights
    from transformers import (
        AutoModelForCausalLM,
        AutoModelForSeq2SeqLM,
        AutoModelForSequenceClassification,
    )

    task = task_of(config)
    cls = {
        "classification": AutoModelForSequenceClassification,
        "causal-lm": AutoModelForCausalLM,
        "seq2seq-lm": AutoModelForSeq2SeqLM,
    }[task]
    try:
        with init_empty_weights(include_buffers=True):
            model = cls.from_config(config, trust_remote_code=False)
    except (ValueError, KeyError, TypeError) as e:
        raise UserError(
            f"cannot build a {config.model_type} {task} model from its config "
            f"({str(e).splitlines()[0] if str(e) else type(e).__name__}); use a model with a "
            "built-in transformers architecture"
        ) from e
    heads = head_names(task, config.model_type)

    def in_head(name: str) -> bool:
        return any(f".{h}." in f".{name}." for h in heads)

    params = tuple((n, tuple(p.shape), in_head(n)) for n, p in model.named_parameters())
    linears = tuple(
        Linear(n, m.in_features, m.out_features, m.bias is not None, in_head(n))
        for n, m in model.named_modules()
        if isinstance(m, torch.nn.Linear)
    )
    total = sum(_numel(s) for _, s, _ in params)
    return Inventory(
        model_type=config.model_type,
        task=task,
        total=total,
        base=sum(p.numel() for p in model.base_model.parameters()),
        head=sum(_numel(s) for _, s, h in params if h),
        params=params,
        linears=linears,
        shape=shape_of(config, task),
    )


def _numel(shape: tuple[int, ...]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def _first(config, names: tuple[str, ...], default=None):
    for name in names:
        value = getattr(config, name, None)
        if value is not None:
            return value
    return default


GATED_TYPES = ("llama", "mistral", "qwen2", "qwen3", "gemma", "gemma2")


def shape_of(config, task: str) -> Shape:
    """The sizes the activation terms need, read from any of the names configs use."""
    h = config.hidden_size  # DistilBERT's `dim`, T5's `d_model`: mapped by the config
    heads = config.num_attention_heads
    hidden_p = _first(config, ("hidden_dropout_prob", "dropout", "dropout_rate", "resid_pdrop"), 0)
    attn_p = _first(
        config,
        ("attention_probs_dropout_prob", "attention_dropout", "dropout_rate", "attn_pdrop"),
        0,
    )
    encoder_decoder = task == "seq2seq-lm"
    return Shape(
        hidden=h,
        ffn=_first(config, ("intermediate_size", "hidden_dim", "d_ff", "n_inner"), 4 * h),
        heads=heads,
        kv_heads=_first(config, ("num_key_value_heads",), heads),
        head_dim=_first(config, ("head_dim", "d_kv"), h // heads),
        layers=config.num_hidden_layers,
        decoder_layers=_first(config, ("num_decoder_layers",), 0) if encoder_decoder else 0,
        vocab=config.vocab_size,
        gated=config.model_type in GATED_TYPES or bool(getattr(config, "is_gated_act", False)),
        hidden_dropout=float(hidden_p or 0) > 0,
        attention_dropout=float(attn_p or 0) > 0,
        embed_norm=config.model_type in ("bert", "distilbert", "roberta", "xlm-roberta"),
        lm_head=task != "classification",
    )


def lora_targets(model_type: str) -> list[str]:
    """The kit's LoRA targets for this architecture (classifier.strategies.LORA_TARGETS), else
    peft's own default for it (Llama: q_proj, v_proj)."""
    from day3.classifier.strategies import LORA_TARGETS

    if model_type in LORA_TARGETS:
        return list(LORA_TARGETS[model_type])
    from peft.utils.constants import TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING as peft

    targets = peft.get(model_type)
    if not targets:
        raise UserError(
            f"no default LoRA targets for '{model_type}' (neither the kit nor peft has one); "
            "estimate --method full or frozen"
        )
    return list(targets)


def adapted(inv: Inventory, targets: list[str]) -> list[Linear]:
    """The linears LoRA adapts: peft's rule, a module named `t` or ending in `.t`."""
    return [
        lin
        for lin in inv.linears
        if not lin.head and any(lin.name == t or lin.name.endswith("." + t) for t in targets)
    ]
