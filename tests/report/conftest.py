from __future__ import annotations

from pathlib import Path

import pytest

from tests.report.smoke_cache import shared_root, smoke_report


@pytest.fixture(scope="session")
def smoke(tmp_path_factory) -> Path:
    """The generated folder of a smoke report: what `day3 report` makes, from tiny runs."""
    return Path(smoke_report(shared_root(tmp_path_factory))["output"])
