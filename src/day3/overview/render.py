"""Rich tables for `day3 overview`: one renderer per section of `day3.overview.collect()`."""

from __future__ import annotations

from day3.core.ui import human


def _table(title: str, *columns: str):
    from rich.table import Table

    table = Table(title=title, title_justify="left", title_style="bold")
    for c in columns:
        table.add_column(c, overflow="fold")
    return table


def _render_versions(info: dict) -> list:
    t = _table("Installed libraries", "library", "version")
    for dist, version in info["versions"].items():
        t.add_row(dist, version or "[dim]not installed[/dim]")
    return [f"day3 {info['day3']}, Python {info['python']}, {info['platform']}", t]


def _render_hub(hub: dict) -> list:
    mode = "[bold]offline[/bold]" if hub["offline"] else "online"
    lines = [f"Hub mode: {mode} (decided by {hub['decided_by']}); endpoint {hub['endpoint']}"]
    if hub["probed"]:
        answer = "[green]reachable[/green]" if hub["reachable"] else "[red]not reachable[/red]"
        lines.append(f"probe: {answer} in {hub['probe_seconds']}s ({hub['note']})")
    else:
        lines.append(hub["note"])
    return lines


def _render_device(dev: dict) -> list:
    return [
        f"device: {dev['describe']} (day3.core.device.pick_device: the one place this is chosen)"
    ]


def _render_caches(info: dict) -> list:
    hub, ds, own = info["hf_cache"]["hub"], info["hf_cache"]["datasets"], info["day3_cache"]
    t = _table("Caches", "cache", "what", "size", "path")
    if hub["error"]:
        t.add_row("HF Hub", f"[red]unreadable: {hub['error']}[/red]", "-", hub["path"])
    elif not hub["exists"]:
        t.add_row("HF Hub", "[dim]empty (nothing downloaded yet)[/dim]", "-", hub["path"])
    for r in hub["repos"]:
        t.add_row(
            "HF Hub", f"{r['type']} {r['repo_id']} ({r['files']} files)", human(r["bytes"]), ""
        )
    t.add_row("HF datasets", "Arrow copies of loaded files", human(ds["bytes"]), ds["path"])
    if not own["models"]:
        t.add_row("day3", "[dim]nothing built yet[/dim]", "-", own["path"])
    for i, m in enumerate(own["models"]):
        path = "" if i else own["path"]
        t.add_row("day3", f"{m['name']} {m['note']}".strip(), human(m["bytes"]), path)
    return [t]


def _render_mirror(mirror: dict) -> list:
    if not mirror["datasets"]:
        return [f"data mirror: {mirror.get('note', 'empty')}"]
    t = _table(f"Data mirror {mirror['path']}", "data set", "on the Hub", "file", "size", "rows")
    for d in mirror["datasets"]:
        for f in d["files"] or [{"file": "-", "bytes": None, "rows": None}]:
            rows = "-" if f["rows"] is None else f"{f['rows']:,}"
            t.add_row(d["name"], d["hub"] or "-", f["file"], human(f["bytes"]), rows)
    return [t]


def _render_models(models: dict) -> list:
    t = _table("Models (--model)", "alias", "where", "what")
    for a in models["aliases"]:
        t.add_row(a["alias"], a["where"], a["hub_id"] or a["about"].split(":")[0])
    mini = models["minilm"]
    c = _table(f"Embedded MiniLM {mini['folder']}", "file", "size", "sha256", "verified")
    for f in mini["files"]:
        ok = {True: "[green]yes[/green]", False: "[red]NO[/red]", None: "not checked"}
        c.add_row(f["file"], human(f["bytes"]), (f["sha256"] or "-")[:16], ok[f["verified"]])
    verdict = {True: "all files match", False: "[red]MISMATCH: reinstall[/red]", None: "skipped"}
    return [t, c, f"checksums: {verdict[mini['verified']]}", models["error"] or ""]


def _render_libraries(rows: list) -> list:
    t = _table("What each library is for", "library", "what it is for", "day3 modules")
    for r in rows:
        used = ", ".join(r["day3_modules"])
        t.add_row(r["library"], r["purpose"], ", ".join(x for x in (used, r["note"]) if x))
    return [t]


SECTIONS = {
    "versions": lambda info: _render_versions(info),
    "hub": lambda info: _render_hub(info["hub"]),
    "device": lambda info: _render_device(info["device"]),
    "caches": lambda info: _render_caches(info),
    "mirror": lambda info: _render_mirror(info["mirror"]),
    "models": lambda info: _render_models(info["models"]),
    "libraries": lambda info: _render_libraries(info["libraries"]),
}


def render_section(name: str, info: dict) -> None:
    """Draw one section of `collect()`'s dict (or a dict holding just the keys it needs)."""
    from day3.core.ui import console

    for item in SECTIONS[name](info):
        if item != "":
            console.print(item)


def render(info: dict) -> None:
    for name in SECTIONS:
        render_section(name, info)
