"""The kit's error types, one rule each, written for the person holding the data file.

* :class:`DataError` -- input data that superkit refuses: the message names the file (or table), the
  column, how many rows are affected and the fix.
* :class:`ParameterError` -- a bad argument or notebook parameter (a horizon of -1, a discount rate
  of 10 meaning 10%): the message names the parameter, what it got and what it takes. A kind of
  DataError, so everything that catches bad input catches it too.
* :class:`ModelError` -- a model that cannot be fitted or used as asked (no repeat buyers, no
  convergence); the message names the cause and the remedy.
* :class:`EngineError` -- the summary engine could not run (out of memory, unreadable file); the
  message names the remedy.

The command line prints any of them as one line without a traceback and exits with status 2.
"""
from __future__ import annotations

__all__ = ["DataError", "EngineError", "ModelError", "ParameterError"]


class DataError(ValueError):
    """Input that superkit refuses, with a message that says what is wrong and how to fix it.

    The message names the file (or table), the column, how many rows are affected and the fix.
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


class ParameterError(DataError):
    """A bad argument: ``ParameterError("horizon", "must be a positive number of days, got -1",
    fix="e.g. 365 for a year")`` reads "parameter 'horizon': must be ... Fix: e.g. 365 for a year"."""

    def __init__(self, name: str, problem: str, *, fix: str | None = None):
        self.parameter = name
        super().__init__(problem, source=f"parameter '{name}'", fix=fix)


class ModelError(RuntimeError):
    """A model that cannot be fitted or used as asked (no repeat buyers, no convergence, ...).

    The message names the cause and the remedy.
    """


class EngineError(RuntimeError):
    """The summary engine could not run the query (e.g. out of memory); the message names the remedy."""
