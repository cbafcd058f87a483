"""Sharing the CPU: each day3 training takes the cores divided by the trainings running, gives
cores up when another starts, takes them back when it ends, and stays out of the user's way."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from day3.core import sharing


@pytest.fixture
def four_cores(monkeypatch, tmp_path):
    monkeypatch.setenv("DAY3_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.delenv("DAY3_SHARE_CPU", raising=False)
    monkeypatch.setattr(sharing, "cores", lambda: 4)
    before = torch.get_num_threads()
    yield tmp_path / "cache" / "jobs"
    sharing.release_cpu()
    torch.set_num_threads(before)


def _other_training(registry):
    """A live process registered as a day3 training."""
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    registry.mkdir(parents=True, exist_ok=True)
    (registry / str(other.pid)).write_text("training\n")
    return other


def test_a_lone_training_takes_every_core(four_cores):
    with sharing.sharing_cpu() as threads:
        assert threads == 4 and torch.get_num_threads() == 4
    assert sharing.running_jobs() == []  # unregistered when it ends


def test_threads_follow_the_number_of_trainings(four_cores):
    with sharing.sharing_cpu() as threads:
        assert threads == 4
        other = _other_training(four_cores)
        try:
            assert sharing.rebalance() == 4  # looked at again only every few seconds
            assert sharing.rebalance(force=True) == 2 and torch.get_num_threads() == 2
        finally:
            other.kill()
            other.wait()
        assert sharing.rebalance(force=True) == 4  # the dead one's entry is cleared


def test_the_thread_count_before_is_restored(four_cores):
    torch.set_num_threads(1)
    with sharing.sharing_cpu():
        assert torch.get_num_threads() == 4
    assert torch.get_num_threads() == 1


@pytest.mark.parametrize("env", [{"DAY3_SHARE_CPU": "0"}, {"OMP_NUM_THREADS": "3"}])
def test_the_users_choice_wins(four_cores, monkeypatch, env):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    torch.set_num_threads(1)
    with sharing.sharing_cpu() as threads:
        assert threads is None and torch.get_num_threads() == 1
    assert not four_cores.exists() or sharing.running_jobs() == []


def test_configure_makes_waiting_threads_sleep():
    """Before torch loads, in a fresh process: the wait policy is passive, unless turned off."""
    code = "from day3.core.env import configure; configure(); import os; print(os.environ.get('OMP_WAIT_POLICY'))"
    run = lambda env: subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,  # noqa: E731
                                     env=env, check=True).stdout.strip()  # fmt: skip
    import os

    base = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "DAY3_SHARE_CPU")}
    assert run(base) == "PASSIVE"
    assert run({**base, "DAY3_SHARE_CPU": "0"}) == "None"
    assert run({**base, "OMP_WAIT_POLICY": "ACTIVE"}) == "ACTIVE"
