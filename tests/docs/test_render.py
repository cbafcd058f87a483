"""The decks render as slides: Marp CLI (from npm, cached, offline) turns each into HTML with
the expected number of slides, and headless Chromium (the Debian package, driven by
playwright) shows a slide with its figure actually loaded. Skipped, with the reason, where npx
or Chromium is not installed."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.docs.markdown import DECKS, slides

ROOT = Path(__file__).resolve().parents[2]
MARP = "npx -y --offline @marp-team/marp-cli@4"
CHROMIUM = Path("/usr/bin/chromium")


def rendered(out: Path, generated: Path) -> Path:
    """Slides/render.sh (what `make slides` runs) into `out`, with the smoke report's generated
    folder in place of Slides/generated."""
    env = {**os.environ, "MARP": MARP, "npm_config_update_notifier": "false"}
    done = subprocess.run([str(ROOT / "Slides" / "render.sh"), str(out), str(generated)],
                          cwd=ROOT, capture_output=True, text=True, timeout=240, env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "5 decks" in done.stdout, done.stdout
    return out


@pytest.fixture(scope="module")
def html(tmp_path_factory, smoke) -> Path:
    if shutil.which("npx") is None:
        pytest.skip("npx is not installed: no Marp CLI to render the decks (apt install npm)")
    probe = subprocess.run([*MARP.split(), "--version"], capture_output=True, text=True,
                           timeout=120)  # fmt: skip
    if probe.returncode != 0:
        pytest.skip(
            f"Marp CLI is not in the npm cache and the network is off: {probe.stderr[-200:]}"
        )
    return rendered(tmp_path_factory.mktemp("marp") / "slides", smoke)


def local_images(page: str) -> list[str]:
    """The images a rendered deck loads from disk: <img src> and Marp's background figures."""
    found = re.findall(r'<img[^>]+src="([^"]+)"', page)
    found += re.findall(r"background-image:url\(&quot;([^&]+)&quot;\)", page)
    return [i for i in found if not i.startswith(("data:", "http"))]


@pytest.mark.slow
def test_every_deck_renders_with_its_slide_count(html):
    for deck in DECKS:
        page = (html / deck.with_suffix(".html").name).read_text(encoding="utf-8")
        sections = re.findall(r'<section[^>]*\bid="(\d+)"', page)
        assert len(sections) == len(slides(deck)), deck.name
        assert len(sections) >= 12, deck.name
        images = local_images(page)
        assert images or deck == DECKS[-1], f"{deck.name} shows no figure"
        for image in images:
            assert (html / image).is_file(), f"{deck.name}: {image} is not there"


FITS = """async () => {
  const out = [];
  for (const s of document.querySelectorAll('section[id]')) {
    location.hash = '#' + s.id;  // the slide on screen: only that one is laid out for real
    await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
    if (s.scrollHeight > s.clientHeight + 4 || s.scrollWidth > s.clientWidth + 4)
      out.push(`slide ${s.id} (${(s.querySelector('h1') || {}).textContent}): ` +
               `${s.scrollWidth}x${s.scrollHeight} in ${s.clientWidth}x${s.clientHeight}`);
  }
  return out;
}"""
BROKEN = """() => [...document.querySelectorAll('img')]
    .filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.getAttribute('src'))"""


@pytest.mark.slow
def test_in_a_real_browser_a_slide_shows_its_figure_and_every_slide_fits(html, tmp_path):
    if not CHROMIUM.is_file():
        pytest.skip("no /usr/bin/chromium (apt install chromium) to screenshot a slide")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    deck = DECKS[0]
    number = next(i for i, s in enumerate(slides(deck), 1) if "minilm_attention.png" in s)
    shot, problems = tmp_path / "slide.png", []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            for other in DECKS:  # every slide's content inside its 16:9 page, every image decoded
                page.goto((html / other.with_suffix(".html").name).as_uri())
                page.wait_for_load_state("load")
                problems += [f"{other.name}: {p} overflows" for p in page.evaluate(FITS)]
                problems += [f"{other.name}: {src} did not load" for src in page.evaluate(BROKEN)]
            page.goto(f"{(html / deck.with_suffix('.html').name).as_uri()}#{number}")
            page.wait_for_load_state("load")
            image = page.locator(f'section[id="{number}"] img').first
            image.wait_for(state="visible", timeout=15_000)
            width = image.evaluate("img => img.complete ? img.naturalWidth : 0")
            heading = page.locator(f'section[id="{number}"] h1').first.text_content()
            page.screenshot(path=str(shot))
        finally:
            browser.close()
    assert problems == []
    assert width > 500 and "Attention maps" in heading  # the figure decoded, on its slide
    from PIL import Image

    pixels = Image.open(shot).convert("RGB")
    colours = len(set(pixels.resize((160, 90)).getdata()))
    assert pixels.size == (1280, 720) and colours > 50  # a figure, not a blank page
