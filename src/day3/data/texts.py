"""Texts to label or to time: a known set's validation split, the embedded reviews, a .txt
file (one per line) or a table's text column."""

from __future__ import annotations

from pathlib import Path

from day3.core.errors import UserError


def load_texts(data: str = "sst2", text_column: str | None = None) -> tuple[list[str], str]:
    """Texts to label or time: a known set's validation split (mirror or Hub), the embedded
    reviews, a .txt file (one per line) or a csv/tsv/jsonl/parquet file's text column.
    Returns (texts, where they came from)."""
    from day3.data.files import read_table, read_utf8
    from day3.data.sources import KNOWN, embedded_file, load_known_split

    if Path(data).suffix == ".txt":  # one text per line, the simplest thing to hand over
        lines = read_utf8(Path(data)).splitlines() if Path(data).is_file() else None
        if lines is None:
            raise UserError(f"text file {data} does not exist; check the path")
        return [t.strip() for t in lines if t.strip()], f"file {data}"
    if data in KNOWN:
        table, source = load_known_split(data, "validation")
        column = text_column or KNOWN[data].text
    elif data == "embedded":
        tables = [read_table(embedded_file(s)) for s in ("train", "validation")]
        texts = [t for table in tables for t in table.dataset["sentence"]]
        return texts, "embedded reviews (train + validation)"
    else:
        table, source, column = read_table(data), f"file {data}", text_column or "sentence"
    if column not in table.dataset.column_names:
        raise UserError(
            f"{table.where} has no column '{column}' (it has {table.dataset.column_names}); "
            "pass --text-column"
        )
    texts = [str(t) for t in table.dataset[column] if t is not None and str(t).strip()]
    if not texts:
        raise UserError(f"{table.where} has no text in column '{column}'")
    return texts, source
