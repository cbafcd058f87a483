"""`day3 <verb>`: the only argparse front end (besides day3.core.flags, which it uses). Nothing in the
library imports it; each verb calls the same functions the lessons call."""

from day3.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
