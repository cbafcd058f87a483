"""The Predict tab's side of the server, without Gradio: each model loaded once, requests
answered in batches by the kit's length-sorted predictor (`day3.classifier.predict`) or
generator (`day3.seq2seq.generate`), and only the runs this app serves, never a path a client
made up.

One batch holds the requests Gradio gathered while the previous batch ran (`batch=True`): a
text too long or empty is refused on its own line, the others are answered.

While the Train tab's job trains, the app shares the CPU as two trainings do (day3.core.sharing):
a forward pass takes the cores divided by the trainings running plus itself, at least one, and
all of them again when the job ends (unless the user set the threads: OMP_NUM_THREADS).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from day3.core import sharing
from day3.core.errors import UserError
from day3.core.runs import read_marker
from day3.serve.config import CLASSIFIER_KIND, JOB_RUN, run_kind

MAX_LOADED = 3  # models kept in memory: the served run and the last two the Train tab made


def serving_threads() -> int | None:
    """The torch threads a forward pass of the app may use now: the cores divided by the day3
    trainings on this machine plus the app itself; None when sharing is off or the user chose."""
    if not sharing.enabled() or os.environ.get("OMP_NUM_THREADS"):
        return None
    return max(1, sharing.cores() // (1 + len(sharing.running_jobs())))


def _share_cpu() -> None:
    """Set this thread's torch threads to the app's share (OpenMP's count is per thread)."""
    threads = serving_threads()
    if threads is not None:
        import torch

        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)


class Predictor:
    """One run's model, loaded once; `answer` is thread-safe (one forward pass at a time)."""

    def __init__(self, folder: Path, max_new_tokens: int = 64) -> None:
        self.folder = Path(folder)
        self.kind = run_kind(self.folder)
        self.max_new_tokens = max_new_tokens
        self.lock = threading.Lock()
        if self.kind == "classifier":
            from day3.classifier.predict import load_classifier_folder, run_settings

            self.model, self.tokenizer = load_classifier_folder(self.folder)
            self.max_length = int(run_settings(self.folder).get("max_length", 128))
        else:
            from day3.models.loading import load_seq2seq

            self.model, self.tokenizer = load_seq2seq(self.folder)
            self.model.eval()

    def answer(self, texts: list[str]) -> list[tuple[dict[str, float] | None, str]]:
        """(class probabilities, answer) per text, in the caller's order: the top label for
        a classifier, the generated text (no probabilities) for a seq2seq model."""
        with self.lock:
            _share_cpu()
            if self.kind == "seq2seq":
                from day3.seq2seq.generate import generate

                out = generate(self.model, self.tokenizer, texts, self.max_new_tokens)
                return [(None, text) for text in out]
            from day3.classifier.predict import id2label_of, predict_logits, softmax

            probs = softmax(
                predict_logits(
                    self.model, self.tokenizer, texts, len(texts), max_length=self.max_length
                )
            )
        names = id2label_of(self.model)
        rows = [{names[j]: float(p[j]) for j in range(len(p))} for p in probs]
        return [(row, max(row, key=row.get)) for row in rows]


class Runs:
    """The runs this app may answer with: the one it was started on, and the finished runs of
    its Train tab's jobs (`WORKSPACE/<job>/run`). Models load on first use and stay loaded
    (at most MAX_LOADED; the served run is never dropped)."""

    def __init__(
        self, served: Path, workspace: Path, max_input_chars: int, max_new_tokens: int = 64
    ) -> None:
        self.served = Path(served).resolve()
        self.workspace = Path(workspace)
        self.max_input_chars = max_input_chars
        self.max_new_tokens = max_new_tokens
        self.loaded: dict[Path, Predictor] = {}
        self.lock = threading.Lock()

    def served_predictor(self) -> Predictor:
        return self.predictor(self.served)

    def job_runs(self) -> list[Path]:
        """Finished classifier runs of the Train tab, newest first."""
        if not self.workspace.is_dir():
            return []
        found = []
        for run in self.workspace.glob(f"*/{JOB_RUN}"):
            marker = read_marker(run)
            if marker and marker.get("kind") == CLASSIFIER_KIND and marker["state"] == "complete":
                found.append(run)
        return sorted(found, key=lambda p: p.parent.name, reverse=True)

    def choices(self) -> list[tuple[str, str]]:
        """(what the dropdown shows, the value it sends) for every run that may be served."""
        shown = [(f"{self.served.name} (served)", str(self.served))]
        return shown + [
            (f"{p.parent.name} (trained here)", str(p.resolve())) for p in self.job_runs()
        ]

    def resolve(self, value: str | None) -> Path:
        """The run a request names, if this app serves it; a UserError otherwise."""
        if not value:
            return self.served
        path = Path(str(value)).resolve()
        if path == self.served or path in {p.resolve() for p in self.job_runs()}:
            return path
        raise UserError(f"{value} is not a run this app serves; pick one from the list")

    def predictor(self, path: Path) -> Predictor:
        with self.lock:  # two first requests for one run load it once
            if path not in self.loaded:
                if len(self.loaded) >= MAX_LOADED:
                    oldest = next(p for p in self.loaded if p != self.served)
                    del self.loaded[oldest]
                self.loaded[path] = Predictor(path, self.max_new_tokens)
            return self.loaded[path]

    def refusal(self, text: str | None) -> str | None:
        """Why a text is not answered, or None."""
        if text is None or not str(text).strip():
            return "refused: the text is empty; type a sentence"
        if len(text) > self.max_input_chars:
            return (
                f"refused: the text has {len(text):,} characters, more than the "
                f"{self.max_input_chars:,} this app accepts; shorten it"
            )
        return None

    def answer_batch(
        self, texts: list[str], runs: list[str] | None = None
    ) -> tuple[list[dict[str, float] | None], list[str]]:
        """Gradio's batched call: (probabilities per request, answer per request). Requests
        for the same run share one length-sorted forward pass."""
        runs = list(runs) if runs is not None else [None] * len(texts)
        labels: list[dict[str, float] | None] = [None] * len(texts)
        answers = [""] * len(texts)
        groups: dict[Path, list[int]] = {}
        for i, (text, run) in enumerate(zip(texts, runs, strict=True)):
            problem = self.refusal(text)
            if problem is None:
                try:
                    groups.setdefault(self.resolve(run), []).append(i)
                except UserError as e:
                    problem = f"refused: {e}"
            if problem is not None:
                answers[i] = problem
        for path, idx in groups.items():
            results = self.predictor(path).answer([texts[i] for i in idx])
            for i, (probs, answer) in zip(idx, results, strict=True):
                labels[i], answers[i] = probs, answer
        return labels, answers
