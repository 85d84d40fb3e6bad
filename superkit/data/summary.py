"""Transactions -> one row per customer: frequency, recency, T, monetary value (+ holdout).

The query is written once, in ``summary.sql`` (:func:`render` fills in its parameters and two
fragments: the purchase-day test, skipped when no amount is negative, and the holdout counts,
constants without a calibration end), and run by an *engine*: an object that supplies the
source relation (``customer_id, day_num, amount``, ``day_num`` the whole day number since
1970-01-01) and runs the SQL. Engines live beside this module, one file each
(``duckdb_engine.py``: embedded, multi-threaded, out of core; ``spark_engine.py``: Spark SQL, for
a warehouse or a cluster), and report bad input through :mod:`superkit.data.rules`, as the pandas
readers do.

Units: ``unit="D"`` gives days, ``unit="W"`` weeks as days / 7 (real numbers, as in Fader, Hardie
& Lee 2005), not lifetimes' calendar-week periods. With ``calibration_end`` the columns
``frequency_holdout``, ``monetary_value_holdout`` and ``duration_holdout`` describe the period
after it (lifetimes' ``calibration_and_holdout_data``).
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Mapping, Protocol

from superkit.core.checks import parse_date
from superkit.core.errors import DataError, ParameterError

if TYPE_CHECKING:  # pandas is imported lazily: the file path of the command line never needs it
    import pandas as pd

__all__ = [
    "ENGINES",
    "EPOCH",
    "Engine",
    "HOLDOUT_COLUMNS",
    "SUMMARY_COLUMNS",
    "UNIT_DAYS",
    "day_number",
    "get_engine",
    "is_frame",
    "no_purchases",
    "render",
    "source_name",
    "split",
    "summarize",
    "summarize_to_file",
    "summary_sql",
]

UNIT_DAYS = {"D": 1.0, "W": 7.0}
EPOCH = dt.datetime(1970, 1, 1)
SUMMARY_COLUMNS = ["frequency", "recency", "T", "monetary_value"]
HOLDOUT_COLUMNS = ["frequency_holdout", "monetary_value_holdout", "duration_holdout"]


def summary_sql() -> str:
    """The summary query template (shared by every engine)."""
    return (Path(__file__).resolve().parent / "summary.sql").read_text(encoding="utf-8")


def day_number(date, name: str = "date") -> int:
    """Whole days from 1970-01-01 to ``date`` (the ``day_num`` every engine supplies)."""
    return (parse_date(date, name, allow_empty=False).date() - EPOCH.date()).days


def _unit_days(unit: str) -> float:
    key = str(unit).upper()
    if key not in UNIT_DAYS:
        raise ParameterError("unit", f"unknown time unit '{unit}'", fix="use D (days) or W (weeks).")
    return UNIT_DAYS[key]


_FINAL_MARK = "-- the summary, from the per-customer table"   # where summary.sql's final SELECT begins


_PURCHASE = "MAX(amount) >= 0 AND SUM(CAST(amount AS DECIMAL(38, 6))) >= 0"
_HOLDOUT = ("COUNT(*) FILTER (WHERE purchase AND day_num > {cal_end}) AS n_hold,\n"
            "           AVG(day_amount) FILTER (WHERE purchase AND day_num > {cal_end}) AS mean_hold")
_NO_HOLDOUT = "0 AS n_hold, CAST(NULL AS DOUBLE) AS mean_hold"


def render(source: str, observation_end, calibration_end=None, unit: str = "D", customers: str = "cust",
           refunds: bool = True) -> str:
    """The summary SQL with its parameters filled in; ``customers``: the relation its final SELECT
    reads (the ``cust`` step, or a table made from it, see :func:`split`); ``refunds=False`` when the
    engine has shown that no amount is negative, so that every day with a row is a purchase day (the
    same summary, with less to compute)."""
    obs = parse_date(observation_end, "observation_end", allow_empty=False)
    cal = obs if calibration_end is None else parse_date(calibration_end, "calibration_end", allow_empty=False)
    if cal > obs:
        raise ParameterError("calibration_end", f"calibration end {cal.date()} is after observation end "
                                                f"{obs.date()}",
                             fix="the calibration period must end on or before the observation end.")
    holdout = _NO_HOLDOUT if calibration_end is None else _HOLDOUT.format(cal_end=day_number(cal))
    return summary_sql().format(source=source, obs_end=day_number(obs), cal_end=day_number(cal),
                                unit_days=repr(_unit_days(unit)), customers=customers,
                                purchase=_PURCHASE if refunds else "TRUE", holdout=holdout)


def split(sql: str) -> tuple[str, str]:
    """A rendered summary as ``(per_customer, final)``: the query of the per-customer step (every
    customer, also those without a purchase day) and the final SELECT, which reads the relation
    named by ``customers`` in :func:`render`."""
    head, final = sql.split(_FINAL_MARK)
    return head + "SELECT * FROM cust", final


def source_name(source) -> str:
    """How a source is named in messages: its path, or "the DataFrame"."""
    if is_frame(source):
        return "the DataFrame"
    return str(getattr(source, "source", "") or getattr(source, "path", source))


def is_frame(source) -> bool:
    """True for a pandas DataFrame (checked without importing pandas)."""
    return type(source).__name__ == "DataFrame" and hasattr(source, "columns")


def no_purchases(source) -> DataError:
    """The error for a summary with no customer: nothing bought before the period's end."""
    return DataError("no purchases on or before the calibration / observation end",
                     source=source_name(source),
                     fix="check the dates: the calibration end may be before the first purchase.")


class Engine(Protocol):
    """What an engine does: summarise a DataFrame or a file with the shared SQL."""

    name: str

    def summarize(self, source, observation_end, calibration_end=None, unit: str = "D",
                  mapping: Mapping[str, str] | None = None, options=None) -> "pd.DataFrame": ...

    def summarize_to_file(self, source, out, observation_end, calibration_end=None,
                          unit: str = "D", mapping: Mapping[str, str] | None = None, options=None) -> int: ...


# name -> "module:class"; imported only when asked for (a Spark engine must not load for DuckDB users)
ENGINES = {"duckdb": "superkit.data.duckdb_engine:DuckDBEngine", "spark": "superkit.data.spark_engine:SparkEngine"}


def get_engine(engine: "str | Engine" = "duckdb") -> Engine:
    """An engine by name (``"duckdb"``), or ``engine`` itself when it is already an engine."""
    if not isinstance(engine, str):
        return engine
    if engine not in ENGINES:
        raise ParameterError("engine", f"unknown engine '{engine}'", fix=f"use one of {sorted(ENGINES)}.")
    import importlib

    module, cls = ENGINES[engine].split(":")
    return getattr(importlib.import_module(module), cls)()


def summarize(transactions, observation_end, calibration_end=None, unit: str = "D",
              engine: "str | Engine" = "duckdb", mapping: Mapping[str, str] | None = None,
              options=None) -> "pd.DataFrame":
    """One row per customer, indexed by ``customer_id``.

    ``transactions`` is a DataFrame in the contract (or with ``mapping``) or the path of a CSV /
    Parquet file, which is read out of core. Columns: ``frequency`` (repeat purchase days),
    ``recency``, ``T`` (in ``unit``), ``monetary_value`` (mean net spend of repeat purchase
    days); with ``calibration_end`` also ``frequency_holdout``, ``monetary_value_holdout``,
    ``duration_holdout``.
    """
    if engine == "duckdb" and getattr(transactions, "engine", None) == "spark":
        engine = "spark"   # transactions a report staged with Spark are summarised where they live
    return get_engine(engine).summarize(transactions, observation_end, calibration_end, unit, mapping, options)


def summarize_to_file(transactions, out, observation_end, calibration_end=None, unit: str = "D",
                      engine: "str | Engine" = "duckdb", mapping: Mapping[str, str] | None = None,
                      options=None) -> int:
    """Summarise and write CSV or Parquet (by ``out``'s suffix); returns the number of customers."""
    return get_engine(engine).summarize_to_file(transactions, out, observation_end, calibration_end,
                                                unit, mapping, options)
