"""The Datasets library, step by step: load, type, clean, tokenise, split, save and stream data.

Run (offline; the SST-2 mirror when DAY3_DATA_DIR is set, else the kit's embedded reviews):
    python 1_HuggingFace/datasets_library.py             # ~10 s embedded; SST-2 (67k rows) ~45 s
    python 1_HuggingFace/datasets_library.py --data embedded
    python 1_HuggingFace/datasets_library.py --data reviews.csv --text-column review --label-column stars
    python 1_HuggingFace/datasets_library.py --smoke     # 200 rows, tiny-bert: ~10 s
Online, step 1 also loads SST-2 from the Hub: load_dataset("stanfordnlp/sst2").

The story: a file becomes a typed, memory-mapped Arrow table; labels become a ClassLabel (safely:
the library's own cast lets a label 7 through); bad rows are filtered out, text is tokenised in
batches, the data is split with both classes in proportion, handed to PyTorch as tensors, saved,
exported to Parquet, and finally streamed without loading it at all. Each step prints what it
changed. Everything, the datasets cache included, is written under --output.
"""

import sys
import time
from pathlib import Path

# %% active="ipynb"
# __file__ = "datasets_library.py"  # no __file__ in a notebook: the lesson beside it

# %%
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))  # run from a checkout too
from day3.core.lesson import kit_python, lesson_folder, running  # noqa: E402

kit_python(__file__)  # from a fresh shell: re-runs this file on the kit's .venv Python

from day3.core.env import is_offline  # noqa: E402
from day3.core.errors import UserError  # noqa: E402
from day3.core.flags import Parser  # noqa: E402

parser = Parser(description=__doc__.splitlines()[0])
parser.add_argument("--data", help="embedded | sst2 | FILE (csv, tsv, json, jsonl, parquet)")
parser.add_argument("--text-column", default="sentence", help="default: sentence")
parser.add_argument("--label-column", default="label", help="default: label")
parser.add_argument("--label-names", help="class names in id order, e.g. negative,positive")
parser.add_argument("--min-words", type=int, default=3, help="filter: drop shorter texts")
parser.add_argument("--model", default="minilm", help="whose tokenizer (default: minilm)")
parser.add_argument("--output", help="everything goes here (default runs/datasets_library)")
parser.add_argument("--overwrite", action="store_true", help="reuse a non-empty --output")
parser.add_argument("--seed", type=int, default=42)
parser.add_argument("--smoke", action="store_true", help="200 rows per split, tiny-bert: seconds")
args = parser.parse_args()
if args.smoke:
    args.model = "tiny-bert"  # same uncased vocabulary as MiniLM, built from a config


# %%
def show(step: str, before, after) -> None:
    """What a step changed, per split: rows, columns, features, format."""
    print(f"\n  -> {step}")
    for split in after:
        b, a = before.get(split), after[split]
        rows = f"{len(b):,} -> {len(a):,}" if b is not None else f"{len(a):,} (new)"
        print(f"     {split:<10} rows {rows}")
        if b is None:
            continue
        if b.column_names != a.column_names:
            print(f"     {'':<10} columns {b.column_names} -> {a.column_names}")
        for name, feature in a.features.items():
            if b.features.get(name) != feature:
                print(f"     {'':<10} feature {name}: {feature}")
        if b.format["type"] != a.format["type"]:
            print(f"     {'':<10} format {b.format['type']} -> {a.format['type']}")


def folder_size(path: Path) -> str:
    from day3.core.ui import human

    path = Path(path)
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return human(sum(p.stat().st_size for p in files))


# %%
with running():  # a mistake in the input: one line `error: …`; Ctrl-C: `interrupted`
    if args.min_words < 0:
        raise UserError(f"--min-words must be 0 or more (got {args.min_words})")
    import numpy as np
    import pyarrow.compute as pc
    from datasets import ClassLabel, Dataset, DatasetDict, load_dataset, load_from_disk
    from datasets.utils import disable_progress_bars

    from day3.data.classification import cast_to_class_label
    from day3.data.sources import SENTIMENT, embedded_file, mirror_file

    disable_progress_bars()  # each step prints its own summary; bars would interleave with it
    out = lesson_folder(args.output, "runs/datasets_library", args.overwrite)
    # load_dataset converts every file to Arrow once and caches it by content; by default in
    # ~/.cache/huggingface/datasets. Here under --output, so the lesson leaves nothing behind.
    cache = str(out / "hf_cache")

# %% [markdown]
# 1. load_dataset: one call for the Hub, local files and many formats. A "builder" name
#    (csv, json, parquet) plus data_files reads local files; a Hub id downloads a repo.

# %%
with running():
    print("1. load_dataset")
    hub = None
    if is_offline() or args.smoke:
        why = "offline" if is_offline() else "--smoke"
        print(f'  {why}: skipped load_dataset("stanfordnlp/sst2"); online it downloads SST-2')
        print("  from the Hub into the cache and returns a DatasetDict (train/validation/test)")
    elif args.data in (None, "sst2") and mirror_file("sst2", "train") is None:
        try:
            hub = load_dataset("stanfordnlp/sst2", cache_dir=cache)
            print(f"  from the Hub: {hub}")  # its test split's labels are all -1 (hidden)
            hub = DatasetDict(train=hub["train"], validation=hub["validation"])
        except Exception as e:  # a flaky network: carry on offline
            print(f"  the Hub did not answer ({type(e).__name__}); carrying on with local data")

    data = args.data or ("sst2" if mirror_file("sst2", "train") or hub else "embedded")
    builders = {".csv": "csv", ".tsv": "csv", ".json": "json", ".jsonl": "json"}
    builders[".parquet"] = "parquet"
    files, kwargs = None, {}
    if hub is not None:
        dd = hub
    else:
        if data == "embedded":
            files = {s: embedded_file(s) for s in ("train", "validation")}
        elif data == "sst2":
            files = {s: mirror_file("sst2", s) for s in ("train", "validation")}
            if files["train"] is None:
                raise UserError(
                    "no SST-2 mirror and the Hub is unreachable; set DAY3_DATA_DIR to a "
                    "folder holding sst2/train.tsv, or use --data embedded"
                )
            files = {s: f for s, f in files.items() if f is not None}
        else:
            files = {"train": Path(data).expanduser()}
            if not files["train"].is_file():
                raise UserError(f"data file {data} does not exist; check the path")
        suffix = files["train"].suffix.lower()
        if suffix not in builders:
            raise UserError(
                f"{data}: unsupported file type '{suffix}'; use csv, tsv, jsonl, parquet"
            )
        if suffix == ".tsv":  # GLUE's TSVs contain bare quotes: read them as text, not quoting
            kwargs = {"delimiter": "\t", "quoting": 3}
        if suffix in (".tsv", ".csv"):
            kwargs["keep_default_na"] = False  # else pandas turns the text "null" into a NaN
        start = time.perf_counter()
        try:
            dd = load_dataset(
                builders[suffix],
                data_files={s: str(f) for s, f in files.items()},
                cache_dir=cache,
                **kwargs,
            )
        except Exception as e:  # a malformed user file: say which, and what the library said
            first = (str(e).strip().splitlines() or [type(e).__name__])[0]
            raise UserError(f"{data}: load_dataset('{builders[suffix]}') failed: {first}") from e
        print(
            f"  load_dataset('{builders[suffix]}', data_files=...) in "
            f"{time.perf_counter() - start:.1f}s: {', '.join(map(str, files.values()))}"
        )
        arrow = dd["train"].cache_files[0]["filename"]
        print(f"  train is memory-mapped from {Path(arrow).name} ({folder_size(Path(arrow))})")
    if args.smoke:
        dd = DatasetDict({s: d.select(range(min(200, len(d)))) for s, d in dd.items()})
    for col, flag in ((args.text_column, "--text-column"), (args.label_column, "--label-column")):
        if col not in dd["train"].column_names:
            raise UserError(
                f"{data}: no column '{col}' (columns: {', '.join(dd['train'].column_names)}); "
                f"pass {flag} NAME"
            )
    before = dd
    rename = {args.text_column: "text", args.label_column: "label"}
    rename = {old: new for old, new in rename.items() if old != new}
    dd = dd.select_columns([args.text_column, args.label_column]).rename_columns(rename)
    show("select_columns + rename_columns: one schema, whatever the source", before, dd)

# %% [markdown]
# 2. Features: every column has a type. A label read from a file is a plain integer; a
#    ClassLabel adds the class names (used by the model config, the Trainer and the Hub).

# %%
with running():
    print(f"\n2. Features and ClassLabel\n  features now: {dd['train'].features}")
    names = tuple(args.label_names.split(",")) if args.label_names else None
    demo = Dataset.from_dict({"text": ["fine", "awful", "great"], "label": [1, 0, 7]})
    pitfall = demo.cast_column("label", ClassLabel(names=list(SENTIMENT)))
    print(f"  pitfall: cast_column to 2 classes accepts labels {list(pitfall['label'])}")
    try:
        pitfall.features["label"].int2str(7)
    except ValueError as e:  # ...the mistake surfaces only here, or as a crash in training
        print(f"           and fails only later: int2str(7) -> {e}")
    try:
        cast_to_class_label(demo, "label", SENTIMENT)
    except UserError as e:
        print(f"  the safe cast refuses it at once: {e}")
    before = dd
    label_type = dd["train"].features["label"]
    if isinstance(label_type, ClassLabel):
        print(f"  already a ClassLabel: {label_type.names}")
    elif getattr(label_type, "dtype", "") in ("string", "large_string"):
        dd = dd.class_encode_column("label")  # "neg"/"pos" in the file: sorted names become ids
    else:
        if names is None and data in ("embedded", "sst2"):
            names = SENTIMENT
        if names is None:  # a user file with ids and no names: ids must be 0..K-1, all present
            found = sorted(dd["train"].unique("label"), key=str)
            if found != list(range(len(found))):
                raise UserError(
                    f"{data}: labels {found[:10]} are not the ids 0..K-1; fix the rows, or "
                    "name the classes with --label-names (in id order)"
                )
            names = tuple(f"LABEL_{i}" for i in found)
        cast = {}
        for split, d in dd.items():
            try:
                cast[split] = cast_to_class_label(d, "label", names)
            except UserError as e:  # say which file and split the row is in
                raise UserError(f"{data} [{split}]: {e}") from None
        dd = DatasetDict(cast)
    names = dd["train"].features["label"].names
    show("labels checked, then cast to ClassLabel", before, dd)

# %% [markdown]
# 3. filter: keep the rows a function says yes to. batched=True hands it 1,000 rows at a
#    time: one Python call per batch instead of one per row.

# %%
with running():
    print("\n3. filter")
    before = dd
    dd = dd.filter(lambda b: [bool(t and t.strip()) for t in b["text"]], batched=True)
    show("filter: drop empty texts", before, dd)
    before = dd
    min_words = args.min_words
    dd = dd.filter(lambda b: [len(t.split()) >= min_words for t in b["text"]], batched=True)
    show(f"filter: drop fragments under {min_words} words (SST-2 is full of them)", before, dd)
    if len(dd["train"]) < 10:
        raise UserError(f"{data}: only {len(dd['train'])} rows left; lower --min-words")

# %% [markdown]
# 4. shuffle / select. shuffle moves no rows: it adds an indices mapping over the same
#    Arrow table (flatten_indices() would write a shuffled copy). select picks rows by
#    index: the quick way to a small sample for a first experiment.

# %%
with running():
    print("\n4. shuffle and select")
    unshuffled = dd["train"]
    dd["train"] = unshuffled.shuffle(seed=args.seed)
    print(f"  first labels before shuffle(seed={args.seed}): {unshuffled['label'][:12]}")
    print(f"  first labels after:                 {dd['train']['label'][:12]}")
    sample = dd["train"].select(range(min(1000, len(dd["train"]))))
    print(f"  select(range({len(sample)})): a {len(sample):,}-row sample, e.g.")
    for row in sample.select(range(3)):
        print(f"    [{names[row['label']]}] {row['text']}")

# %% [markdown]
# 5. map(batched=True): tokenisation, the step every model needs. The tokenizer is fast (Rust)
#    and wants lists: batches keep it busy. Results are cached by fingerprint, so running
#    the lesson again skips this work.

# %%
with running():
    from day3.models.catalogue import resolve_model
    from day3.models.loading import load_tokenizer

    tokenizer = load_tokenizer(resolve_model(args.model).path)
    print(f"\n5. map(batched=True) with the {args.model} tokenizer")

    def tokenize(batch: dict) -> dict:
        return tokenizer(batch["text"], truncation=True, max_length=128)

    probe = dd["train"].select(range(min(2000, len(dd["train"]))))
    for batched in (False, True):
        start = time.perf_counter()
        probe.map(tokenize, batched=batched, load_from_cache_file=False, keep_in_memory=True)
        print(f"  {len(probe)} rows, batched={batched}: {time.perf_counter() - start:.2f}s")
    before, start = dd, time.perf_counter()
    dd = dd.map(tokenize, batched=True)
    show(f"map(tokenize, batched=True) in {time.perf_counter() - start:.1f}s", before, dd)
    lengths = pc.list_value_length(dd["train"].with_format("arrow")["input_ids"])
    print(f"  tokens per text: mean {pc.mean(lengths).as_py():.1f}, max {pc.max(lengths)}")

# %% [markdown]
# 6. train_test_split: hold out a test set. stratify_by_column keeps the class balance the
#    same on both sides; it needs a ClassLabel column (one more reason for step 2).

# %%
with running():
    print("\n6. train_test_split(stratify_by_column='label')")
    before = dd
    try:
        split = dd["train"].train_test_split(0.1, stratify_by_column="label", seed=args.seed)
    except ValueError as e:  # a class with a single row cannot be on both sides
        print(f"  cannot stratify ({e}); a plain random split instead")
        split = dd["train"].train_test_split(0.1, seed=args.seed)
    rest = {s: d for s, d in dd.items() if s != "train"}
    dd = DatasetDict({"train": split["train"], **rest, "test": split["test"]})
    show("split train into train + test", before, dd)
    for s, d in dd.items():  # numpy format: the whole column as one array, no Python loop
        counts = np.bincount(d.with_format("numpy")["label"], minlength=len(names))
        print(
            f"     {s:<10} "
            + ", ".join(f"{n} {c / len(d):.0%}" for n, c in zip(names, counts, strict=True))
        )

# %% [markdown]
# 7. set_format("torch"): rows come back as tensors, only the columns a model takes. The
#    text stays in the table, just hidden. Rows differ in length: a collator pads each
#    batch to its own longest row (dynamic padding), as the Trainer does.

# %%
with running():
    print("\n7. set_format('torch')")
    before = dd
    print(f"  before: input_ids is a {type(dd['train'][0]['input_ids']).__name__}")
    columns = [
        c
        for c in ("input_ids", "token_type_ids", "attention_mask", "label")
        if c in dd["train"].column_names
    ]
    dd.set_format("torch", columns=columns)
    show(f"set_format('torch', columns={columns})", before, dd)
    print(f"  after:  input_ids is a {type(dd['train'][0]['input_ids']).__name__}")
    from transformers import DataCollatorWithPadding

    batch = DataCollatorWithPadding(tokenizer)([dd["train"][i] for i in range(4)])
    print("  a padded batch of 4: " + ", ".join(f"{k} {tuple(v.shape)}" for k, v in batch.items()))

# %% [markdown]
# 8. save_to_disk / load_from_disk: the Arrow files plus features and format, exactly. A
#    CSV round trip would lose the ClassLabel names and the tokens' list type.

# %%
with running():
    print("\n8. save_to_disk / load_from_disk")
    saved = out / "tokenized"
    dd.save_to_disk(str(saved))
    reloaded = load_from_disk(str(saved))
    print(f"  {saved}/: {folder_size(saved)}, splits {list(reloaded)}")
    print(
        f"  reloaded features equal: {reloaded['train'].features == dd['train'].features}; "
        f"format kept: {reloaded['train'].format['type']}"
    )

# %% [markdown]
# 9. Parquet: the columnar file format the Hub stores data sets in; compressed, readable by
#    pandas, Spark and DuckDB. The features travel in its metadata.

# %%
with running():
    print("\n9. to_parquet")
    pq_dir = out / "parquet"
    pq_dir.mkdir(exist_ok=True)
    for s, d in dd.items():
        d.to_parquet(str(pq_dir / f"{s}.parquet"))
        print(
            f"  {s}.parquet: {folder_size(pq_dir / f'{s}.parquet')} "
            f"(Arrow on disk: {folder_size(saved / s)})"
        )
    back = load_dataset(
        "parquet", data_files=str(pq_dir / "train.parquet"), split="train", cache_dir=cache
    )
    print(f"  read back, label is still {back.features['label']}")

# %% [markdown]
# 10. Streaming: an IterableDataset reads rows as you iterate, without converting or even
#     downloading the whole set first: the way to a corpus bigger than the disk. No len(),
#     no random access; map/filter/shuffle run lazily, shuffle within a buffer.

# %%
with running():
    print("\n10. streaming=True")
    if files is None:  # online: the Hub's Parquet files, read over HTTP as we iterate
        stream, where = load_dataset("stanfordnlp/sst2", split="train", streaming=True), "the Hub"
    else:
        where = files["train"]
        stream = load_dataset(
            builders[where.suffix.lower()],
            data_files=str(where),
            split="train",
            streaming=True,
            cache_dir=cache,
            **kwargs,
        )
    print(f"  {type(stream).__name__} over {where}: nothing read yet, len() is undefined")
    stream = stream.select_columns([args.text_column, args.label_column]).rename_columns(rename)
    lazy = stream.shuffle(seed=args.seed, buffer_size=100).map(tokenize, batched=True)
    start = time.perf_counter()
    rows = list(lazy.take(3))
    print(
        f"  take(3) after a lazy shuffle + map: {time.perf_counter() - start:.2f}s, "
        f"columns {list(rows[0])}"
    )
    print(f"\nwrote under {out}/: {', '.join(sorted(p.name for p in out.iterdir()))}")
