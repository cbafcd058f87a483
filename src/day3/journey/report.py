"""The journey's report: journey.json (every fact), report.md (the story, with its plots) and
report.html (the same page, self-contained: the plots are inlined, nothing is fetched)."""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path


def markdown(facts: dict, timings: list[dict], figures: dict[str, str]) -> str:
    d, z, t, e = facts["data"], facts["zero-shot"], facts["fine-tune"], facts["evaluate"]
    f, s = facts["forgetting"], facts["ship"]
    labels = ", ".join(f"{k} {v}" for k, v in d["labels"].items())
    lines = [
        "# The journey: from data to a shipped model",
        "",
        "| stage | seconds |",
        "| --- | --- |",
        *[f"| {r['stage']} | {r['seconds']:.1f} |" for r in timings],
        f"| **total** | **{sum(r['seconds'] for r in timings):.1f}** |",
        "",
        "## 1. Data",
        f"{d['source']}: {d['n_train']} training rows ({labels}), {d['n_validation']} for "
        f"validation; {d['tokens_median']:.0f} tokens per text (median), {d['tokens_max']} at most.",
        "",
        "## 2. Don't train first",
        f"Zero-shot (each review against a description of each class, no label used): accuracy "
        f"**{z['accuracy']:.3f}** on validation.",
        "",
        "## 3. Fine-tune",
        f"{t['strategy']}: {t['trainable_params']:,} trainable parameters "
        f"({t['trainable_percent']:.1f}%), {t['train_seconds']:.1f} s, "
        f"{t['samples_per_second']:.1f} samples/s. Run folder: `{t['run']}`.",
        "",
        "## 4. Evaluate (the saved folder, reloaded)",
        f"Accuracy **{e['accuracy']:.3f}**, macro-F1 {e['f1']:.3f} on {e['n']} rows: "
        f"{e['gain_over_zero_shot']:+.3f} over zero-shot.",
    ]
    lines += [f"![{k}]({v})" for k, v in figures.items() if k != "learn_forget"]
    lines += [
        "",
        "## 5. What it forgot",
        f"{f['probe']} (Spearman of embedding cosine against human similarity scores, "
        f"{f['pairs']} pairs, {f['source']}): {f['before']:.3f} before, {f['after']:.3f} "
        f"after, a drop of **{f['drop']:+.3f}**.",
    ]
    if "learn_forget" in figures:
        lines.append(f"![learn_forget]({figures['learn_forget']})")
    lines += [
        "",
        "## 6. Ship",
        f"{len(s['files'])} files ({s['bytes'] / 1e6:.1f} MB) staged in `{s['folder']}`: "
        "exactly what an upload sends, with its model card. To upload for real (online, with "
        "HF_TOKEN set):",
        "",
        f"    {s['push_command']}",
        "",
    ]
    return "\n".join(lines)


def to_html(md: str, folder: Path) -> str:
    """A small, safe Markdown-to-HTML for the report's own text: escaped, plots inlined."""
    body, in_table = [], False
    for line in md.splitlines():
        image = re.fullmatch(r"!\[(.*)\]\((.*)\)", line)
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if set("".join(cells)) <= set("- "):
                continue
            tag = "th" if not in_table else "td"
            body.append(("<table>" if not in_table else "") + "<tr>"
                        + "".join(f"<{tag}>{_inline(c)}</{tag}>" for c in cells) + "</tr>")  # fmt: skip
            in_table = True
            continue
        if in_table:
            body.append("</table>")
            in_table = False
        if image:
            data = base64.b64encode((folder / image[2]).read_bytes()).decode()
            body.append(f'<img alt="{html.escape(image[1])}" src="data:image/png;base64,{data}">')
        elif line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            body.append(f"<h{level}>{_inline(line.lstrip('# '))}</h{level}>")
        elif line.startswith("    "):
            body.append(f"<pre>{html.escape(line.strip())}</pre>")
        elif line:
            body.append(f"<p>{_inline(line)}</p>")
    if in_table:
        body.append("</table>")
    style = ("body{font-family:sans-serif;max-width:52em;margin:2em auto;padding:0 1em}"
             "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .6em}"
             "img{max-width:100%}pre{background:#f4f4f4;padding:.5em}")  # fmt: skip
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>day3 journey</title>"
            f"<style>{style}</style></head><body>{''.join(body)}</body></html>\n")  # fmt: skip


def _inline(text: str) -> str:
    text = html.escape(text)
    text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", text)
