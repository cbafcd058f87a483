import os
import time

from day3.core import env


def test_offline_switches_are_set_before_hf_imports():
    assert env.is_offline()
    for var in env.OFFLINE_VARS:
        assert os.environ[var] == "1"


def test_day3_offline_overrides(monkeypatch):
    monkeypatch.setenv("DAY3_OFFLINE", "0")
    env.configure()
    assert not env.is_offline()
    monkeypatch.setenv("DAY3_OFFLINE", "1")
    env.configure()
    assert env.is_offline()


def test_probe_of_a_dead_host_returns_quickly():
    start = time.perf_counter()
    assert env.hub_reachable("127.0.0.1", timeout=0.5) is False  # nothing listens on 443
    assert time.perf_counter() - start < 2.0


def test_mirror_and_cache_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("DAY3_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DAY3_CACHE", str(tmp_path / "c"))
    assert env.data_mirror() == tmp_path
    assert env.cache_dir() == tmp_path / "c"
    monkeypatch.delenv("DAY3_DATA_DIR")
    assert env.data_mirror() is None
