"""Training files uploaded to the Train tab: only csv, tsv and jsonl, size-limited, checked by
the kit's own validation (`day3.data.classification`, the one the job itself runs) and only
ever read as data. The job keeps its own copy under a fixed name (`data.csv`), never under the
name the browser sent."""

from __future__ import annotations

from pathlib import Path

from day3.core.errors import UserError

UPLOAD_TYPES = (".csv", ".tsv", ".jsonl")


def upload_suffix(path: str | Path) -> str:
    suffix = Path(str(path)).suffix.lower()
    if suffix not in UPLOAD_TYPES:
        raise UserError(
            f"{Path(str(path)).name}: unsupported file type '{suffix or 'none'}'; upload a "
            f"{', '.join(UPLOAD_TYPES)} file"
        )
    return suffix


def check_upload_size(path: Path, max_mb: int) -> None:
    size = path.stat().st_size
    if size > max_mb * 2**20:
        raise UserError(
            f"{path.name} is {size / 2**20:.1f} MB, more than the {max_mb} MB this app accepts"
        )


def check_upload(path: str | Path, max_mb: int = 10) -> str:
    """An uploaded training file checked by the kit's own validation (the same one the job
    runs): a one-line summary, or a UserError naming the file by its own name."""
    from day3.data.classification import DataSpec, load_classification

    path = Path(str(path))
    upload_suffix(path)
    check_upload_size(path, max_mb)
    try:
        data = load_classification(DataSpec(data=str(path)))
    except UserError as e:
        raise UserError(str(e).replace(str(path), path.name)) from None
    return (
        f"{path.name}: {len(data.train):,} training and {len(data.validation):,} validation "
        f"rows, classes {', '.join(data.label_names)}"
    )
