"""One error type for bad input, written for the person holding the data file."""
from __future__ import annotations


class DataError(ValueError):
    """Input that superkit refuses, with a message that says what is wrong and how to fix it.

    The message names the file (or table), the column, how many rows are affected and the fix.
    The command line prints it without a traceback and exits with status 2.
    """

    def __init__(self, problem: str, *, source: str | None = None, column: str | None = None,
                 rows: int | None = None, fix: str | None = None, examples=None):
        self.problem = problem
        self.source = source
        self.column = column
        self.rows = rows
        self.fix = fix
        self.examples = list(examples)[:5] if examples is not None else []
        super().__init__(self._message())

    def _message(self) -> str:
        where = self.source or "input"
        if self.column:
            where += f", column '{self.column}'"
        msg = f"{where}: {self.problem}"
        if self.rows is not None:
            msg += f" ({self.rows:,} row{'s' if self.rows != 1 else ''} affected)"
        if self.examples:
            msg += f"; e.g. {', '.join(repr(e) for e in self.examples)}"
        msg += "."
        if self.fix:
            msg += f" Fix: {self.fix}"
        return msg


class ModelError(RuntimeError):
    """A model that cannot be fitted or used as asked (no repeat buyers, no convergence, ...).

    The message names the cause and the remedy. The command line prints it without a traceback.
    """


class EngineError(RuntimeError):
    """The summary engine could not run the query (e.g. out of memory); the message names the remedy."""
