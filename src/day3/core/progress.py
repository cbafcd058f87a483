"""Training progress a person can read, in place of the Trainer's raw log dicts.

On a terminal: one progress bar per training, with the latest loss in it. Written to a file or
a pipe (CI, `> log.txt`): plain lines, one every tenth of the steps, with no carriage returns,
so the log reads top to bottom. Both end with one summary line. Messages go to stderr: stdout
stays for results. DAY3_PROGRESS_LINES sets how many plain lines a training prints (default 10;
a watchdog that needs every step sets it high).
"""

from __future__ import annotations

import os
import sys
import time
from functools import cache


def _is_terminal(stream) -> bool:
    return bool(getattr(stream, "isatty", lambda: False)())


@cache
def _callback_class() -> type:
    from transformers import TrainerCallback

    class TrainingProgress(TrainerCallback):
        """A bar (terminal) or a line per 10% (log file) with step, loss, elapsed and ETA."""

        def __init__(self, label: str, stream=None) -> None:
            self.label = label
            self.stream = stream or sys.stderr
            self.bar = None
            self.losses: list[float] = []

        def on_train_begin(self, args, state, control, **kwargs) -> None:
            self.quiet = not state.is_world_process_zero  # one progress per run, not per rank
            self.total = max(1, state.max_steps)
            self.start_step = state.global_step
            self.start = time.perf_counter()
            self.every = 1 / _lines()
            self.next_line = self.every
            if _is_terminal(self.stream) and not self.quiet:
                from tqdm.auto import tqdm

                self.bar = tqdm(
                    total=self.total,
                    initial=state.global_step,
                    desc=self.label,
                    unit="step",
                    file=self.stream,
                    dynamic_ncols=True,
                    leave=False,
                )

        def on_log(self, args, state, control, logs=None, **kwargs) -> None:
            if logs and "loss" in logs:
                self.losses.append(float(logs["loss"]))
                if self.bar is not None:
                    self.bar.set_postfix(loss=f"{self.losses[-1]:.4f}", refresh=False)

        def on_step_end(self, args, state, control, **kwargs) -> None:
            step = state.global_step
            if self.bar is not None:
                self.bar.update(step - self.bar.n)
                return
            if step / self.total + 1e-9 >= self.next_line or step == self.total:
                while self.next_line <= step / self.total + 1e-9:
                    self.next_line += self.every
                self._line(step)

        def _line(self, step: int) -> None:
            elapsed = time.perf_counter() - self.start
            done = max(1, step - self.start_step)
            left = elapsed / done * (self.total - step)
            loss = f", loss {self.losses[-1]:.4f}" if self.losses else ""
            self._say(
                f"{self.label}: step {step}/{self.total} ({100 * step / self.total:.0f}%){loss}, "
                f"{elapsed:.0f} s, ~{left:.0f} s left"
            )

        def on_train_end(self, args, state, control, **kwargs) -> None:
            if self.bar is not None:
                self.bar.close()
            seconds = time.perf_counter() - self.start
            trend = ""
            if self.losses:
                trend = f", loss {self.losses[0]:.4f} → {self.losses[-1]:.4f}"
            self._say(
                f"{self.label}: trained {state.global_step - self.start_step} steps in "
                f"{seconds:.1f} s{trend}"
            )

        def _say(self, line: str) -> None:
            if self.quiet:
                return
            self.stream.write(line + "\n")
            self.stream.flush()

    return TrainingProgress


def _lines() -> int:
    value = os.environ.get("DAY3_PROGRESS_LINES", "10")
    return max(1, int(value)) if value.isdigit() else 10


def training_progress(label: str, stream=None):
    """The callback to give a Trainer (see `quiet_trainer`)."""
    return _callback_class()(label, stream)


def quiet_trainer(trainer, label: str):
    """Swap the Trainer's tqdm bar and printed log dicts for one `training_progress`."""
    from transformers.trainer_callback import PrinterCallback, ProgressCallback

    trainer.remove_callback(ProgressCallback)
    trainer.remove_callback(PrinterCallback)
    trainer.add_callback(training_progress(label))
    return trainer
