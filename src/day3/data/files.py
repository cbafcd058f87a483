"""Reading a user's table (csv, tsv, jsonl, parquet) through `datasets`, after the checks that
turn a broken file into one line naming the file, the line and the fix: missing, empty or
header-only files, non-UTF-8 bytes, malformed JSONL, lines of megabytes.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

from day3.core.errors import UserError

EXTENSIONS = (".tsv", ".csv", ".jsonl", ".parquet")


# A row is a sentence or a document: a line of megabytes is a broken export (a missing newline or
# an unclosed quote), refused with its line number rather than tokenized into nonsense.
MAX_LINE_BYTES = 4 * 2**20


csv.field_size_limit(MAX_LINE_BYTES + 1)  # the stdlib's 128 KiB would refuse a long review


@dataclass
class Table:
    """Rows read from one source, with a way to name a row the way its file numbers it."""

    dataset: object
    where: str
    lines: list[int] | None = None  # file line of each row (jsonl, csv, tsv)
    header_lines: int = 0  # csv/tsv: 1 (rows are then numbered below the header)

    def row(self, i: int) -> str:
        if self.lines is not None and self.header_lines:
            return f"row {i + 1} (line {self.lines[i]})"
        if self.lines is not None:
            return f"line {self.lines[i]}"
        return f"row {i + 1}"


def read_table(path: str | Path) -> Table:
    """Read a csv/tsv/jsonl/parquet file through `datasets`, after checking it can be read."""
    from datasets import Dataset, Features, Value, load_dataset

    path = Path(path).expanduser()
    if not path.exists() and not path.suffix:
        raise UserError(
            f"'{path}' is neither a file nor a known data set; use sst2, imdb, embedded, auto "
            "or the path of a csv, tsv, jsonl or parquet file"
        )
    if not path.exists():
        raise UserError(f"data file {path} does not exist; check the path")
    if path.is_dir():
        raise UserError(f"{path} is a folder; pass a csv, tsv, jsonl or parquet file")
    suffix = path.suffix.lower()
    if suffix not in (*EXTENSIONS, ".json"):
        raise UserError(
            f"{path}: unsupported file type '{suffix}'; use one of {', '.join(EXTENSIONS)}"
        )
    if path.stat().st_size == 0:
        raise UserError(f"{path} is empty; it needs a header row and at least one data row")
    if suffix == ".parquet":
        try:
            import pyarrow.parquet as pq

            pq.read_schema(path)  # checked here: `datasets` would also log a line of its own
            ds = load_dataset("parquet", data_files=str(path), split="train")
        except Exception as e:
            raise UserError(
                f"{path} is not a readable parquet file ({type(e).__name__}); re-export it"
            ) from e
        return Table(ds, str(path))
    text = read_utf8(path)
    if suffix in (".jsonl", ".json"):
        rows, lines = _parse_jsonl(path, text)
        columns = list(dict.fromkeys(k for r in rows for k in r))
        data = {c: [r.get(c) for r in rows] for c in columns}
        for c, values in data.items():  # one column, one type: mixed ints/strings become strings
            # (so do ints beyond 64 bits, which Arrow cannot hold: the checks name the row)
            huge = any(isinstance(v, int) and not -(2**63) <= v < 2**63 for v in values)
            if huge or len({type(v) for v in values if v is not None}) > 1:
                data[c] = [None if v is None else str(v) for v in values]
        return Table(Dataset.from_dict(data), str(path), lines=lines)
    header, rows, lines = _parse_delimited(path, text, "\t" if suffix == ".tsv" else ",")
    # Every column as a string: a guessed type would turn "null" or "" into NaN silently.
    # Types are checked later, with row numbers.
    data = {c: [r[j] for r in rows] for j, c in enumerate(header)}
    ds = Dataset.from_dict(data, features=Features({c: Value("string") for c in header}))
    return Table(ds, str(path), lines=lines, header_lines=1)


def _parse_delimited(path: Path, text: str, delimiter: str):
    """(header, rows, line of each row) of a csv/tsv text; a row whose field count is not the
    header's, a duplicate column or a broken quote is refused naming its line. TSV is read as
    GLUE ships it: no quoting, tabs separate."""
    kind = "TSV" if delimiter == "\t" else "CSV"
    quoting = csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=delimiter, quoting=quoting, strict=True
    )
    header, rows, lines, start = None, [], [], 1
    try:
        for fields in reader:
            line, start = start, reader.line_num + 1  # a quoted field may span lines
            if not any(f.strip() for f in fields):
                continue  # blank lines are no rows
            if header is None:
                header = _check_header(path, fields, line)
            elif len(fields) != len(header):
                raise UserError(
                    f"{path}: line {line} has {len(fields)} fields where the header has "
                    f"{len(header)} ({', '.join(header)}); fix that line (a stray "
                    f"{'tab' if delimiter == chr(9) else 'comma, or a text with commas not in quotes'}?)"
                )
            else:
                rows.append(fields)
                lines.append(line)
    except csv.Error as e:
        raise UserError(
            f"{path}: line {reader.line_num} is not valid {kind} ({e}); fix that line"
        ) from None
    if header is None or not rows:
        raise UserError(f"{path} has a header but no data rows; add rows below the header")
    return header, rows, lines


def _check_header(path: Path, fields: list[str], line: int) -> list[str]:
    names = [f.strip() for f in fields]
    seen = [n for i, n in enumerate(names) if n in names[:i]]
    if seen or "" in names:
        what = f"column '{seen[0]}' twice" if seen else "an empty column name"
        raise UserError(f"{path}: the header (line {line}) names {what}; give each column a name")
    return names


def read_utf8(path: Path) -> str:
    raw = path.read_bytes()
    _check_line_lengths(path, raw)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise UserError(
            f"{path}: line {line} is not valid UTF-8 (byte 0x{raw[e.start]:02x}); "
            "re-save the file as UTF-8"
        ) from None
    if not text.strip():
        raise UserError(f"{path} has no content; it needs at least one data row")
    return text.removeprefix("\ufeff")


def _check_line_lengths(path: Path, raw: bytes) -> None:
    if len(raw) <= MAX_LINE_BYTES:  # no line can be longer than the file
        return
    start, n = 0, 1
    while start < len(raw):
        end = raw.find(b"\n", start)
        end = len(raw) if end < 0 else end
        if end - start > MAX_LINE_BYTES:
            raise UserError(
                f"{path}: line {n} is {end - start:,} bytes long, over the {MAX_LINE_BYTES:,}-byte "
                "limit per line; check that the file has one row per line (a missing newline "
                "or an unclosed quote), or shorten that text"
            )
        start, n = end + 1, n + 1


def _parse_jsonl(path: Path, text: str) -> tuple[list[dict], list[int]]:
    rows, lines = [], []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise UserError(
                f"{path}: line {n} is not valid JSON ({e.msg}); fix or remove that line"
            ) from None
        if not isinstance(obj, dict):
            raise UserError(
                f'{path}: line {n} is not a JSON object; each line must be {{"column": value, ...}}'
            )
        rows.append(obj)
        lines.append(n)
    return rows, lines
