"""`day3 estimate` as the CLI runs it (day3.cli.main: a Parser from day3.core.flags, the
config's flags, build, the verb's function; a UserError is one `error: …` line, exit 2), with
the parser built here from EstimateConfig, since registering the verb is the CLI's business."""

from __future__ import annotations

import sys

from day3.core.errors import UserError
from day3.core.flags import Parser, add_flags, build
from day3.estimate.config import EstimateConfig
from day3.estimate.report import estimate_command


def parser() -> Parser:
    p = Parser(prog="day3 estimate", description=EstimateConfig.__doc__)
    return add_flags(p, EstimateConfig)


def run_cli(argv: list[str]) -> int:
    """The exit code, as day3.cli.main.main returns it."""
    try:
        args = parser().parse_args([str(a) for a in argv])
    except SystemExit as e:  # argparse's own one-line error (Parser.error), or --help
        return int(e.code or 0)
    try:
        estimate_command(build(EstimateConfig, args))
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        return e.exit_code
    return 0
