"""Where a known data set comes from, in one place: the local mirror
($DAY3_DATA_DIR/<name>/<split>.<ext>) first, then the Hub when online, and the kit's embedded
movie-review sample. `auto` picks the SST-2 mirror, else the Hub, else the embedded sample, so a
first run always works offline."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from day3.core.env import data_mirror, is_offline
from day3.core.errors import UserError
from day3.data.files import EXTENSIONS, Table, read_table


@dataclass(frozen=True)
class KnownDataset:
    hub: str
    hub_config: str | None
    splits: dict[str, str]  # our split name -> the Hub's
    text: str = "sentence"
    label: str = "label"
    label_names: tuple[str, ...] | None = None
    hub_rename: dict[str, str] = field(default_factory=dict)  # Hub column -> mirror column


SENTIMENT = ("negative", "positive")


KNOWN: dict[str, KnownDataset] = {
    "sst2": KnownDataset(
        "stanfordnlp/sst2",
        None,
        {"train": "train", "validation": "validation"},
        label_names=SENTIMENT,
    ),
    "imdb": KnownDataset(
        "stanfordnlp/imdb",
        None,
        {"train": "train", "validation": "test"},
        text="text",
        label_names=SENTIMENT,
    ),
    "stsb": KnownDataset(
        "nyu-mll/glue",
        "stsb",
        {"train": "train", "validation": "validation"},
        text="sentence1",
        label="score",
        hub_rename={"label": "score"},
    ),
    "dialogsum": KnownDataset(
        "knkarthick/dialogsum",
        None,
        {"train": "train", "validation": "validation", "test": "test"},
        text="dialogue",
        label="summary",
    ),
}


def mirror_file(name: str, split: str) -> Path | None:
    root = data_mirror()
    if root is None:
        return None
    for ext in EXTENSIONS:
        candidate = root / name / f"{split}{ext}"
        if candidate.is_file():
            return candidate
    return None


def embedded_file(split: str, name: str = "sentiment") -> Path:
    """A split of the data the kit ships (sentiment reviews; STS pairs: validation only)."""
    return Path(str(resources.files("day3") / "embedded" / name / f"{split}.jsonl"))


def load_known_split(name: str, split: str) -> tuple[Table, str]:
    """One split of a known data set: mirror, else Hub, else a UserError that says what to do."""
    known = KNOWN[name]
    local = mirror_file(name, split)
    if local is not None:
        return read_table(local), f"local mirror {local}"
    if is_offline():
        raise UserError(
            f"data set '{name}' ({split}) has no local copy and the Hub is unreachable; "
            f"set DAY3_DATA_DIR to a mirror holding {name}/{split}.tsv, pass a file, "
            "or use --data embedded"
        )
    from datasets import load_dataset

    try:
        ds = load_dataset(known.hub, known.hub_config, split=known.splits[split])
    except Exception as e:
        raise UserError(
            f"could not load '{known.hub}' ({split}) from the Hub: "
            f"{str(e).splitlines()[0] if str(e) else type(e).__name__}"
        ) from e
    for old, new in known.hub_rename.items():
        ds = ds.rename_column(old, new)
    return Table(ds, f"{known.hub} [{split}]"), f"Hugging Face Hub {known.hub}"


def resolve_source(data: str, known: str = "sst2") -> str:
    """`auto` becomes a concrete choice: the `known` set's mirror, else the Hub, else embedded."""
    if data != "auto":
        return data
    if mirror_file(known, "train" if known == "sst2" else "validation") is not None:
        return known
    return known if not is_offline() else "embedded"
