"""Data sets, resolved in one place: files (csv, tsv, jsonl, parquet) read with line-numbered
errors, the known sets (mirror, Hub, embedded sample), classification data, sentence pairs, texts
to label, and the length-sorted batching every model here uses."""
