"""The app in a real browser (headless Chromium from the system, driven by playwright): type a
review and read the label; train a tiny model from the Train tab and watch it finish, then
serve it; reload the page mid-training and see the same progress, a second browser too, which
is told "busy" when it tries to start another job."""

from __future__ import annotations

import json

import pytest

from day3.classifier.predict import load_classifier_folder, predict

pytestmark = pytest.mark.slow

WAIT_MS = 120_000  # a training subprocess spends ~10 s importing torch on 2 busy cores


def open_app(browser, url: str):
    page = browser.new_context().new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(url)
    page.wait_for_selector("#predict-text textarea")
    return page


def kit_label(run, text: str) -> str:
    """The label the kit's own predictor gives `text` with `run`'s model (not the app's code)."""
    model, tokenizer = load_classifier_folder(run)
    return predict(model, tokenizer, [text])[0].label


def box(page, elem_id: str) -> str:
    return page.locator(f"#{elem_id} textarea").input_value()


def wait_box(page, elem_id: str, needle: str) -> str:
    """Wait until the textbox `elem_id` holds `needle`; its text."""
    page.wait_for_function(
        "([id, needle]) => (document.querySelector(`#${id} textarea`)?.value || '')"
        ".includes(needle)",
        arg=[elem_id, needle],
        timeout=WAIT_MS,
    )
    return box(page, elem_id)


def test_type_a_review_and_read_the_predicted_label(app, browser):
    page = open_app(browser, app.url)
    review = "A warm, funny and beautifully acted film."
    page.locator("#predict-text textarea").fill(review)
    page.locator("#predict-text textarea").press("Enter")
    expected = kit_label(app.config.run, review)
    assert wait_box(page, "predict-answer", expected) == expected
    probs = page.locator("#predict-probs").inner_text()
    assert "negative" in probs and "positive" in probs and "%" in probs
    page.context.close()


def test_train_a_tiny_model_from_the_train_tab_and_serve_it(app, browser):
    page = open_app(browser, app.url)
    page.get_by_role("tab", name="Train").click()
    name = app.board.next_name()
    expected = (
        "day3 finetune-classifier --model tiny-bert --data embedded --strategy lora "
        f"--epochs 1 --max-train-samples 32 --output {app.config.workspace / name / 'run'}"
    )
    page.wait_for_function(
        "(cmd) => document.querySelector('#train-command textarea').value === cmd",
        arg=expected,
    )
    page.locator("#train-start").click()
    assert wait_box(page, "train-reply", "started") == f"started {name}: {expected}"
    status = wait_box(page, "train-status", f"{name}: done")
    assert "validation accuracy" in status
    job = json.loads((app.config.workspace / name / "job.json").read_text())
    assert job["command"] == expected
    page.get_by_role("tab", name="Predict").click()
    page.locator("#predict-run input").click()
    page.get_by_role("option", name=f"{name} (trained here)").click()
    page.locator("#predict-text textarea").fill("a dull mess")
    page.locator("#predict-button").click()
    run = app.config.workspace / name / "run"
    label = kit_label(run, "a dull mess")
    assert wait_box(page, "predict-answer", label) == label
    assert run.resolve() in app.demo.day3.runs.loaded  # answered by the new run's model
    page.context.close()


def test_a_reload_mid_training_shows_the_same_progress_and_others_get_busy(app, browser):
    page = open_app(browser, app.url)
    page.get_by_role("tab", name="Train").click()
    name = app.board.next_name()
    page.locator("#train-epochs input").fill("1000")  # 1,000 steps: it trains for a while
    page.wait_for_function(
        "() => document.querySelector('#train-command textarea').value.includes('--epochs 1000')"
    )
    page.locator("#train-start").click()
    wait_box(page, "train-status", f"{name}: running, step")
    page.reload()
    page.get_by_role("tab", name="Train").click()
    after = wait_box(page, "train-status", f"{name}: running, step")
    assert "/1000 (" in after and "loss" in after
    other = open_app(browser, app.url)  # a second browser
    other.get_by_role("tab", name="Train").click()
    wait_box(other, "train-status", f"{name}: running")
    other.locator("#train-start").click()
    busy = wait_box(other, "train-reply", "busy")
    assert busy.startswith(f"busy: {name} is training (step ")
    other.locator("#train-stop").click()
    assert wait_box(other, "train-reply", "stopping") == f"{name}: stopping"
    assert wait_box(page, "train-status", f"{name}: stopped") == f"{name}: stopped; interrupted"
    assert not (app.config.workspace / name / "run").exists()  # nothing half-written
    other.context.close()
    page.context.close()
