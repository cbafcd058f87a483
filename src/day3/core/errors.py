"""One exception for mistakes a user can fix: the CLI prints its message on one line, exit 2."""

from __future__ import annotations


class UserError(Exception):
    """Bad input (file, column, label, model name, flag). The message says what and how to fix."""

    exit_code = 2
