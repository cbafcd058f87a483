"""What `--model` can name for an estimate, offline: a bare parameter count (`7e9`, `125M`), a
config the kit ships (src/day3/embedded/configs/: Llama-2-7B and Llama-3-8B shapes, Flan-T5
small/base/large, DistilBERT and BERT base), a folder with a config.json (a run folder too;
a LoRA run's adapter-only folder reads its base), or a name `day3.models.catalogue` knows
(minilm, tiny-bert, ...). Only config.json is read: no weights are needed.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

from day3.core.errors import UserError

CONFIGS = Path(__file__).resolve().parents[1] / "embedded" / "configs"

# name: (the Hub repository whose config.json it is, what it is)
SHIPPED: dict[str, tuple[str, str]] = {
    "llama-2-7b": ("meta-llama/Llama-2-7b-hf", "Llama-2-7B shape, 6.74B params"),
    "llama-3-8b": ("meta-llama/Meta-Llama-3-8B", "Llama-3-8B shape, 8.03B params (GQA)"),
    "flan-t5-small": ("google/flan-t5-small", "Flan-T5 small (lm_head tied in transformers 5)"),
    "flan-t5-base": ("google/flan-t5-base", "Flan-T5 base (lm_head tied in transformers 5)"),
    "flan-t5-large": ("google/flan-t5-large", "Flan-T5 large (lm_head tied in transformers 5)"),
    "distilbert-base": ("distilbert-base-uncased", "DistilBERT base, 66M params"),
    "bert-base": ("bert-base-uncased", "BERT base, 110M params"),
}

MAX_PARAMS = 10**15  # a quadrillion: beyond it the arithmetic, not the model, is the story
_COUNT = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?)([kmbgt]?)$", re.IGNORECASE)
_SUFFIX = {"": 1, "k": 1e3, "m": 1e6, "b": 1e9, "g": 1e9, "t": 1e12}


@dataclass(frozen=True)
class ModelSource:
    name: str  # what the user typed
    describe: str  # where it came from, in words
    params: int | None = None  # a bare count: no config
    config_dir: Path | None = None  # a folder holding config.json
    has_weights: bool = False  # safetensors beside it (--measure can load them)


def known_names() -> str:
    from day3.models.catalogue import ALIASES

    aliases = [a for a, v in ALIASES.items() if v.tiny != "mini-flan"]
    return ", ".join([*SHIPPED, *aliases])


def parse_param_count(text: str) -> int | None:
    """`7e9`, `125M`, `1.3B`, `7_000_000_000` -> a count; None when `text` is no number.
    A number that is negative, zero, not finite or absurd is a UserError."""
    t = text.strip().replace("_", "").replace(",", "")
    if t.lower().lstrip("+-") in ("inf", "infinity", "nan"):
        raise UserError(f"--model {text} is not a finite parameter count; pass e.g. 7e9 or 125M")
    m = _COUNT.match(t)
    if not m:
        return None
    value = float(m.group(1)) * _SUFFIX[m.group(2).lower()]
    if not math.isfinite(value):
        raise UserError(f"--model {text} is not a finite parameter count; pass e.g. 7e9 or 125M")
    if value < 1:
        raise UserError(
            f"--model {text}: a parameter count must be at least 1 (got {value:g}); "
            "pass e.g. 7e9 or 125M"
        )
    if value > MAX_PARAMS:
        raise UserError(f"--model {text}: at most {MAX_PARAMS:.0e} parameters; check the number")
    return round(value)


def resolve_source(name: str) -> ModelSource:
    """Turn --model into a count or a config folder; a UserError that lists what works."""
    name = str(name).strip()
    if not name:
        raise UserError(f"--model is empty; use one of {known_names()}, or a count like 7e9")
    path = Path(name).expanduser()
    if path.exists():
        return _folder(name, path)
    count = parse_param_count(name)
    if count is not None:
        return ModelSource(name, f"a bare count of {count:,} parameters", params=count)
    shipped = _shipped(name)
    if shipped is not None:
        return shipped
    if name.startswith((".", "/", "~")) or name.count("/") > 1:
        raise UserError(f"model folder {name} does not exist; check the path")
    return _catalogue(name)


def _shipped(name: str) -> ModelSource | None:
    """A shipped config by its name or its Hub id; catalogue aliases of those Hub ids too
    (`distilbert`, `flan-t5`)."""
    from day3.models.catalogue import ALIASES

    wanted = name.lower()
    alias = ALIASES.get(wanted)
    hub_id = alias.hub_id.lower() if alias and alias.hub_id else wanted
    for key, (repo, about) in SHIPPED.items():
        if wanted == key or hub_id == repo.lower():
            return ModelSource(name, f"shipped config {key} ({about}; {repo})", None, CONFIGS / key)
    return None


def _catalogue(name: str) -> ModelSource:
    from day3.models.catalogue import ALIASES, resolve_model

    alias = ALIASES.get(name.lower())
    if alias is not None and alias.tiny == "mini-flan":
        raise UserError(
            "estimating mini-flan would build it first (minutes); use --model tiny-t5 or "
            "flan-t5-small, or the folder `day3 build-mini-flan` printed"
        )
    try:
        resolved = resolve_model(name)
    except UserError:
        resolved = None
    if resolved is None or not Path(resolved.path).is_dir():
        raise UserError(
            f"unknown model '{name}' (not a folder, a parameter count, a shipped config or an "
            f"alias, nor in the Hugging Face cache); use one of {known_names()}, a folder with "
            "config.json, or a count like 7e9"
        )
    return _folder(name, Path(resolved.path), resolved.describe())


def _folder(name: str, path: Path, describe: str | None = None, depth: int = 0) -> ModelSource:
    from day3.models.loading import refuse_custom_code

    if not path.is_dir():
        raise UserError(f"{name} is a file; pass a model folder (with config.json) or a name")
    if (path / "config.json").is_file():
        refuse_custom_code(path)
        weights = any(path.glob("*.safetensors"))
        return ModelSource(name, describe or f"folder {path}", None, path, weights)
    adapter = path / "adapter_config.json"
    if adapter.is_file() and depth == 0:  # a LoRA (or IA3, prompt) run without a merged copy
        try:
            base = json.loads(adapter.read_text(encoding="utf-8"))["base_model_name_or_path"]
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise UserError(f"{adapter} is not a readable adapter config; re-save the run") from e
        base_path = Path(str(base)).expanduser()
        inner = (
            _folder(str(base), base_path, depth=1)
            if base_path.exists()
            else resolve_source(str(base))
        )
        if inner.config_dir is None:
            raise UserError(f"{adapter} names no base model folder; re-save the run")
        return ModelSource(name, f"adapter run {path} on {inner.describe}", None, inner.config_dir)
    raise UserError(
        f"{path} is not a model folder (no config.json or adapter_config.json); point --model "
        "at a folder written by save_pretrained, a run folder, a name or a count like 7e9"
    )


def load_config(source: ModelSource):
    """The transformers config of a folder (trust_remote_code stays off)."""
    from transformers import AutoConfig

    try:
        return AutoConfig.from_pretrained(str(source.config_dir), trust_remote_code=False)
    except (OSError, ValueError, KeyError) as e:
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise UserError(
            f"{source.config_dir}/config.json is not a config transformers can read ({first}); "
            "fix it, or use a shipped config such as llama-2-7b"
        ) from e
