"""The domain error of every layer: input the user can fix, said in one sentence (the commands map it to exit 2)."""

from __future__ import annotations


class InputError(Exception):
    """A problem the user can fix (bad input, a missing file). Its message is one clear sentence and must not
    contain personal data. Library code raises it; `cli.main` prints it and exits with code 2."""
