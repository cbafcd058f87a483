"""The journey's settings: one model, one data set, one strategy, one folder for everything."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from day3.classifier.strategies import CHOICES, StrategyConfig
from day3.core import checks
from day3.core.errors import UserError
from day3.core.flags import option
from day3.data.classification import DataSpec

# What the journey writes inside its folder, one day3 output each: a rerun replaces each of
# them (the kit's own, proved by its marker) and nothing else.
PARTS = ("run", "upload", "report")


@dataclass
class JourneyConfig:
    """`day3 journey`: the day in one command, on the embedded defaults (offline, minutes)."""

    model: str = option("minilm", help="minilm | distilbert | tiny-bert | FOLDER | HUB_ID")
    # 2,000 rows keep SST-2 (67k) within minutes; the embedded sample has 400.
    data: DataSpec = field(default_factory=lambda: DataSpec("embedded", max_train_samples=2000))
    strategy: str = option("lora", help=f"how to fine-tune: {CHOICES}")
    epochs: float = option(4.0, help="passes over the training data")
    batch_size: int = option(16, help="sentences per step")
    repo_id: str = option("your-name/day3-journey", help="the Hub repo the card is written for")
    output: Path = option(Path("runs/journey"), help="the journey's folder")
    overwrite: bool = option(False, help="write into a --output that holds other files")
    serve: bool = option(False, help="open the demo app on the new run at the end")
    host: str = option("127.0.0.1", help="--serve: the address to bind (local only by default)")
    port: int = option(7860, help="--serve: the port")
    smoke: bool = option(False, help="a tiny random model on 64 rows: the plumbing, in seconds")

    def __post_init__(self) -> None:
        self.output = Path(self.output)
        self.parsed = StrategyConfig.parse(self.strategy)
        checks.positive("epochs", self.epochs)
        checks.count("batch_size", self.batch_size)
        if not isinstance(self.port, int) or not 0 < self.port < 65536:
            raise UserError(f"--port must be 1-65535 (got {self.port})")
        if "/" not in self.repo_id:
            raise UserError(f"--repo-id must be user/name (got {self.repo_id})")
        if self.smoke:
            self.model, self.epochs = "tiny-bert", 1.0
            self.data = DataSpec("embedded", max_train_samples=64, max_eval_samples=32)

    def part(self, name: str) -> Path:
        return self.output / name
