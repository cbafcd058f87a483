"""Checkpoints that are whole or absent, and a resume that continues bit for bit.

The stock `Trainer` writes `checkpoint-N/` file by file: a kill during the save leaves a folder
that looks like a checkpoint, and `resume_from_checkpoint=True` then crashes on it (or loads a
truncated optimizer). Here each save goes to `checkpoint-N.tmp/` first; a completion marker
(`day3-checkpoint.json`: every file's size and sha256) is written last, everything is fsynced,
and only then is the folder renamed to `checkpoint-N`. `find_resume_checkpoint` trusts a
checkpoint only when its marker exists and every file matches it.

Exact resume: the weights, optimizer, scheduler and RNG states are the Trainer's own files.
Two things the stock loop misses with the kit's settings are added:
- `group_by_length` draws each epoch's order from the global torch RNG when the epoch starts.
  Resumed in the middle of epoch 1 or later, that RNG is in another state and the rest of the
  epoch sees other batches. The sampler here draws exactly as the stock one (same orders, same
  results) but records the RNG state it drew from; the checkpoint keeps it
  (`day3-sampler.pt`) and a run resumed mid-epoch draws that epoch's order from it again.
- The running loss since the last log line (`day3-loop.json`), so the loss curve matches too.
Under DDP (torchrun, accelerate launch) the main process writes the weights, the marker and
the rename; every rank writes its own RNG state, and all wait for each other before the marker.

Test hook: `DAY3_FAULT_KILL_IN_SAVE=N` makes the process SIGKILL itself during its Nth
checkpoint save, after the weights and optimizer are written and before the marker.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import signal
from functools import cache
from pathlib import Path

from day3.core.hashing import sha256_file
from day3.core.ui import say

MARKER = "day3-checkpoint.json"

LOOP_STATE = "day3-loop.json"


SAMPLER_STATE = "day3-sampler.pt"

TMP_SUFFIX = ".tmp"


KEEP = 2  # complete checkpoints kept: a corrupt newest one still has a fallback

FAULT_ENV = "DAY3_FAULT_KILL_IN_SAVE"


_NAME = re.compile(r"^checkpoint-(\d+)$")


def _fsync(path: Path) -> None:
    # Directories too: a rename is durable only once its parent folder is synced.
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MARKER)


def write_marker(folder: Path, step: int) -> Path:
    """Sync every file of `folder`, then write the marker that declares it complete."""
    files = {}
    for path in _files(folder):
        _fsync(path)
        rel = path.relative_to(folder).as_posix()
        files[rel] = {"size": path.stat().st_size, "sha256": sha256_file(path)}
    tmp = folder / (MARKER + TMP_SUFFIX)
    tmp.write_text(json.dumps({"format": 1, "step": step, "files": files}, indent=1) + "\n")
    _fsync(tmp)
    tmp.rename(folder / MARKER)
    _fsync(folder)
    return folder / MARKER


def check_checkpoint(folder: Path) -> str | None:
    """None when `folder` is a complete checkpoint; otherwise what is wrong with it."""
    marker = folder / MARKER
    if not marker.is_file():
        return "incomplete (no completion marker)"
    try:
        info = json.loads(marker.read_text())
        files = info["files"]
        step = int(info["step"])
    except (ValueError, KeyError, TypeError, OSError):
        return "unreadable completion marker"
    match = _NAME.match(folder.name)
    if match is None or int(match.group(1)) != step:
        return f"marker is for step {step}, not for this folder"
    if not files:
        return "marker lists no files"
    for rel, meta in files.items():
        path = folder / rel
        if not path.is_file():
            return f"{rel} is missing"
        size = path.stat().st_size
        if size != meta["size"]:
            return f"{rel} has {size:,} bytes, {meta['size']:,} expected (truncated?)"
        if sha256_file(path) != meta["sha256"]:
            return f"{rel} does not match its sha256 (corrupted)"
    return None


def _step_folders(root: Path) -> list[tuple[int, Path]]:
    """checkpoint-N folders of `root`, newest first."""
    found = [(int(m.group(1)), p) for p in root.iterdir() if (m := _NAME.match(p.name))]
    return sorted((f for f in found if f[1].is_dir()), reverse=True)


def remove_leftovers(root: Path, warn: bool = True) -> list[Path]:
    """Delete `*.tmp` entries: saves that a crash interrupted. Returns what was removed."""
    removed = []
    for path in sorted(root.glob("*" + TMP_SUFFIX)):
        if warn:
            say(f"warning: removing {path}: a checkpoint save that never finished")
        shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
        removed.append(path)
    return removed


def find_resume_checkpoint(
    folder: str | Path, clean: bool = True, warn: bool = True
) -> Path | None:
    """The newest complete checkpoint in `folder`, or None.

    Incomplete or corrupt checkpoints are skipped with a warning naming each; with `clean`
    they, and any `*.tmp` leftovers, are deleted (they can never be resumed from, and a later
    save of the same step must not find them in its way)."""
    root = Path(folder)
    if not root.is_dir():
        return None
    if clean:
        remove_leftovers(root, warn)
    elif warn:  # said now, removed by the caller's cleaning call once it may write
        for path in sorted(root.glob("*" + TMP_SUFFIX)):
            say(f"warning: removing {path}: a checkpoint save that never finished")
    for _, path in _step_folders(root):
        problem = check_checkpoint(path)
        if problem is None:
            return path
        if warn:
            say(f"warning: skipping checkpoint {path}: {problem}")
        if clean:
            shutil.rmtree(path)
    return None


def rotate(root: Path, keep: int = KEEP) -> None:
    """Keep the `keep` newest checkpoints that have a marker; older ones go."""
    complete = [p for _, p in _step_folders(root) if (p / MARKER).is_file()]
    for path in complete[keep:]:
        shutil.rmtree(path, ignore_errors=True)


def has_checkpoints(folder: str | Path) -> bool:
    root = Path(folder)
    return root.is_dir() and any(
        _NAME.match(p.name) or p.name.endswith(TMP_SUFFIX) for p in root.iterdir()
    )


def _maybe_fault(save_number: int) -> None:
    """The fault-injection hook: inert unless DAY3_FAULT_KILL_IN_SAVE names this save."""
    wanted = os.environ.get(FAULT_ENV, "")
    if wanted.strip().isdigit() and int(wanted) == save_number:
        os.kill(os.getpid(), signal.SIGKILL)


@cache
def _loop_state_callback() -> type:
    from transformers import TrainerCallback

    class LoopStateCallback(TrainerCallback):
        """Restores the loss accumulated since the last log line when a resumed run begins (the
        Trainer zeroes it right before `on_train_begin`), so the loss curve matches too."""

        def __init__(self, trainer) -> None:
            self.trainer = trainer

        def on_train_begin(self, args, state, control, **kwargs) -> None:
            resume = self.trainer._day3_resume
            loop = Path(resume) / LOOP_STATE if resume else None
            if loop is not None and loop.is_file():
                saved = json.loads(loop.read_text())
                self.trainer._tr_loss.fill_(saved["tr_loss"])
                self.trainer._globalstep_last_logged = saved["globalstep_last_logged"]

    return LoopStateCallback


class AtomicCheckpointMixin:
    """Mix in before a `Trainer` class (see `checkpointing`)."""

    keep_checkpoints: int = KEEP

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._day3_staging: str | None = None
        self._day3_saves = 0
        self._day3_resume: str | None = None
        self._day3_sampler = None  # the replayable sampler of this run, if any
        self._day3_replay = None  # (epoch, RNG state) the resumed epoch's order was drawn from
        self.add_callback(_loop_state_callback()(self))

    def train(self, resume_from_checkpoint: str | bool | None = None, *args, **kwargs):
        """`resume_from_checkpoint=True`: the newest *complete* checkpoint, or a fresh start."""
        if resume_from_checkpoint is True:
            # Only the main process removes what cannot be resumed; the others only look.
            found = find_resume_checkpoint(self.args.output_dir, clean=self.args.should_save)
            if found is None:
                say(f"no complete checkpoint in {self.args.output_dir}; starting from scratch")
            resume_from_checkpoint = str(found) if found else None
        elif resume_from_checkpoint is False:
            resume_from_checkpoint = None
        if resume_from_checkpoint is not None:
            resume_from_checkpoint = str(resume_from_checkpoint)
            say(f"resuming from {resume_from_checkpoint}")
        self._day3_resume = resume_from_checkpoint
        self.resumed_step = 0  # the step training continued from (0: a fresh start)
        self._day3_replay = None
        if resume_from_checkpoint is not None:
            folder = Path(resume_from_checkpoint)
            self.resumed_step = int(
                json.loads((folder / "trainer_state.json").read_text())["global_step"]
            )
            if (folder / SAMPLER_STATE).is_file():
                import torch

                drawn = torch.load(folder / SAMPLER_STATE, weights_only=True)
                self._day3_replay = (int(drawn["epoch"]), drawn["rng_state"])
        return super().train(resume_from_checkpoint, *args, **kwargs)

    def _get_output_dir(self, trial) -> str:
        # During a save the Trainer writes `<run_dir>/checkpoint-N`: point run_dir at the
        # staging folder so that nothing lands under the final name before it is complete.
        if self._day3_staging is not None:
            return self._day3_staging
        return super()._get_output_dir(trial)

    def _save_checkpoint(self, model, trial) -> None:
        root = Path(self._get_output_dir(trial))
        name = f"checkpoint-{self.state.global_step}"
        staging, final = root / (name + TMP_SUFFIX), root / name
        main = self.args.should_save  # the process that writes (rank 0 under DDP)
        if main:
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir(parents=True)
        # Under DDP every rank writes its own RNG state into the checkpoint: the staging folder
        # exists before any of them writes, and all have written before the marker declares it
        # complete. (One process: both waits return at once.)
        self.accelerator.wait_for_everyone()
        self._day3_staging = str(staging)
        try:
            super()._save_checkpoint(model, trial)
        finally:
            self._day3_staging = None
        self.accelerator.wait_for_everyone()
        if not main:  # it wrote its RNG state; the main process commits the checkpoint
            return
        written = staging / name
        loop = {
            "tr_loss": float(self._tr_loss.item()),
            "globalstep_last_logged": self._globalstep_last_logged,
        }
        (written / LOOP_STATE).write_text(json.dumps(loop) + "\n")
        drawn = getattr(self._day3_sampler, "drawn", None)
        if drawn is not None:
            import torch

            torch.save({"epoch": drawn[0], "rng_state": drawn[1]}, written / SAMPLER_STATE)
        self._day3_saves += 1
        _maybe_fault(self._day3_saves)
        write_marker(written, self.state.global_step)
        if final.exists():  # an older, unusable save of the same step
            shutil.rmtree(final)
        written.rename(final)
        staging.rmdir()
        _fsync(root)
        rotate(root, max(self.keep_checkpoints, self.args.save_total_limit or 0))

    def _get_train_sampler(self, train_dataset=None):
        from transformers.trainer_pt_utils import LengthGroupedSampler

        sampler = super()._get_train_sampler(train_dataset)
        if type(sampler) is LengthGroupedSampler and sampler.generator is None:
            sampler = _replayable(LengthGroupedSampler)(sampler.batch_size, sampler.lengths)
            sampler.replay = self._day3_replay
            self._day3_sampler = sampler
        return sampler


@cache
def _replayable(base: type) -> type:
    from transformers.trainer_pt_utils import get_length_grouped_indices

    class ReplayableLengthGroupedSampler(base):
        """The stock sampler (its orders, drawn from the global RNG), plus a memory of the RNG
        state each epoch's order came from, so a resumed run can draw it again."""

        def __init__(self, batch_size: int, lengths: list[int]) -> None:
            super().__init__(batch_size, lengths=lengths)
            self.epoch = 0
            self.drawn = None  # (epoch, RNG state) of the latest draw
            self.replay = None  # the same, from the checkpoint a run resumed from

        def set_epoch(self, epoch: int) -> None:
            self.epoch = epoch

        def __iter__(self):
            import torch

            replay, self.replay = self.replay, None
            if replay is not None and replay[0] == self.epoch:
                # Resumed mid-epoch: the Trainer restores the global RNG right after this draw.
                generator = torch.Generator()
                generator.set_state(replay[1])
                self.drawn = replay
                order = get_length_grouped_indices(
                    self.lengths, self.batch_size, generator=generator
                )
                return iter(order)
            self.drawn = (self.epoch, torch.random.get_rng_state())
            return super().__iter__()

    return ReplayableLengthGroupedSampler


class _FractionStepsFilter(logging.Filter):
    """transformers compares a fractional `logging_steps=0.02` with the step count it became and
    warns on every resume; drop that warning when fractions are all it complains about."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "do not match the ones in the `trainer_state.json`" not in message:
            return True
        lines = message.splitlines()[1:]
        return not all(re.match(r"\s*\w+_steps: 0\.\d+ \(from args\)", ln) for ln in lines)


@cache
def checkpointing(trainer_class: type) -> type:
    """`trainer_class` (Trainer, Seq2SeqTrainer, ...) with atomic checkpoints and exact resume."""
    logging.getLogger("transformers.trainer_utils").addFilter(_FractionStepsFilter())
    return type(f"Atomic{trainer_class.__name__}", (AtomicCheckpointMixin, trainer_class), {})


RUN_IDENTITY = "day3-run.json"


def check_run_identity(folder: str | Path, identity: dict) -> None:
    """Checkpoints continue only the run that wrote them: refuse to resume checkpoints pinned
    under other settings (`identity`, the settings that decide the result). Reads only."""
    from day3.core.errors import UserError
    from day3.core.runs import as_saved, differing_settings

    root = Path(folder)
    path = root / RUN_IDENTITY
    if not (has_checkpoints(root) and path.is_file()):
        return
    differ = differing_settings(json.loads(path.read_text()), as_saved(identity))
    if differ:
        raise UserError(
            f"the checkpoints in {root} belong to a run with other settings "
            f"({', '.join(differ)}); resume with the same flags, or start over with "
            "--overwrite instead of --resume"
        )


def pin_run_identity(folder: str | Path, identity: dict) -> None:
    """Record `identity` next to the checkpoints (after `check_run_identity`)."""
    from day3.core.runs import as_saved

    check_run_identity(folder, identity)
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / (RUN_IDENTITY + TMP_SUFFIX)
    tmp.write_text(json.dumps(as_saved(identity), indent=1) + "\n")
    tmp.rename(root / RUN_IDENTITY)
