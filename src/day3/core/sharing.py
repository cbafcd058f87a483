"""Sharing a CPU between trainings: a second job should cost a fair share, not 10x.

Measured on a 2-core machine (day3.training.bench, the two-jobs rows): two MiniLM trainings at
once, each with torch's default of one thread per core and OpenMP's default wait policy, took
an order of magnitude longer than one alone. The cause is the pool of OpenMP threads behind
every torch op: between parallel regions a waiting thread spins (busy-waits) on its core for a
while before it sleeps, so four spinning threads on two cores take each other's time slices,
and every op waits for its slowest thread.

The kit's defaults, applied when a training starts (`share_cpu`):
- OMP_WAIT_POLICY=PASSIVE (set by day3.core.env.configure before torch loads): waiting threads
  sleep instead of spinning, so an idle thread gives its core away;
- torch threads = the cores divided by the day3 trainings running on this machine (each
  registers itself under the day3 cache while it trains), at least 1, looked at again every
  few seconds while it trains (`rebalance`): the first job gives cores up when a second
  starts, and takes them back when it ends.
DAY3_SHARE_CPU=0 turns both off; OMP_WAIT_POLICY or torch.set_num_threads set by the user win.
"""

from __future__ import annotations

import atexit
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ENV = "DAY3_SHARE_CPU"


def enabled() -> bool:
    return os.environ.get(ENV, "1") != "0"


def _registry() -> Path:
    from day3.core.env import cache_dir

    return cache_dir() / "jobs"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def running_jobs() -> list[int]:
    """The pids of day3 trainings registered and still alive (stale entries are removed)."""
    folder = _registry()
    if not folder.is_dir():
        return []
    alive = []
    for entry in folder.iterdir():
        pid = int(entry.name) if entry.name.isdigit() else -1
        if pid > 0 and _alive(pid):
            alive.append(pid)
        else:
            entry.unlink(missing_ok=True)
    return sorted(alive)


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


REBALANCE_SECONDS = 5.0  # how often a training looks at the registry again
_mine: dict = {}  # this process's registration: {"path": Path, "checked": perf_counter time}


def share_cpu() -> int | None:
    """Register this process as a training and give torch its share of the cores; returns the
    thread count set (None when sharing is off or the user chose the threads)."""
    if not enabled() or os.environ.get("OMP_NUM_THREADS"):
        return None
    folder = _registry()
    folder.mkdir(parents=True, exist_ok=True)
    me = folder / str(os.getpid())
    me.write_text("training\n")
    if not _mine:
        atexit.register(release_cpu)
    _mine["path"] = me
    return rebalance(force=True)


def rebalance(force: bool = False) -> int | None:
    """Set torch's threads to this training's share of the cores now (at most every
    REBALANCE_SECONDS unless `force`); the thread count, None when not registered. Call it
    from the training's own thread: OpenMP's thread count belongs to the calling thread."""
    import torch

    if "path" not in _mine:
        return None
    now = time.perf_counter()
    if not force and now - _mine.get("checked", 0.0) < REBALANCE_SECONDS:
        return torch.get_num_threads()
    _mine["checked"] = now
    threads = max(1, cores() // max(1, len(running_jobs())))
    if threads != torch.get_num_threads():
        torch.set_num_threads(threads)
    return threads


def release_cpu() -> None:
    path = _mine.pop("path", None)
    if path is not None:
        path.unlink(missing_ok=True)


def sharing_callback():
    """A TrainerCallback that rebalances the threads at the start of a step."""
    from transformers import TrainerCallback

    class Share(TrainerCallback):
        def on_step_begin(self, args, state, control, **kwargs):
            rebalance()

    return Share()


@contextmanager
def sharing_cpu() -> Iterator[int | None]:
    """`share_cpu` for the length of a training; the thread count torch had is restored."""
    import torch

    before = torch.get_num_threads()
    threads = share_cpu()
    try:
        yield threads
    finally:
        release_cpu()
        if threads is not None:
            torch.set_num_threads(before)
