"""Transactions -> one row per customer: frequency, recency, T, monetary value (+ holdout).

The query is written once, in ``summary.sql``, and run by an *engine*. :class:`DuckDBEngine` is
the default: embedded, multi-threaded, and out-of-core, so it summarises CSV or Parquet files
larger than memory without loading them into pandas. A second engine (e.g. Apache Spark) only has
to supply the source relation with a whole-day number column and run the same SQL.

Units: ``unit="D"`` gives days, ``unit="W"`` weeks as days / 7 (real numbers, as in Fader, Hardie
& Lee 2005), not lifetimes' calendar-week periods. With ``calibration_end`` the columns
``frequency_holdout``, ``monetary_value_holdout`` and ``duration_holdout`` describe the period
after it (lifetimes' ``calibration_and_holdout_data``).
"""
from __future__ import annotations

import datetime as dt
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Mapping, Protocol

from superkit.errors import DataError, EngineError
from superkit.spec import ABSURD_AMOUNT, TABLES, looks_binary

if TYPE_CHECKING:  # pandas is imported lazily: the file path of the command line never needs it
    import pandas as pd

UNITS = {"D": 1.0, "W": 7.0}
EPOCH = dt.datetime(1970, 1, 1)
SUMMARY_COLUMNS = ["frequency", "recency", "T", "monetary_value"]
HOLDOUT_COLUMNS = ["frequency_holdout", "monetary_value_holdout", "duration_holdout"]


def summary_sql() -> str:
    """The summary query template (shared by every engine)."""
    return (Path(__file__).resolve().parent / "summary.sql").read_text(encoding="utf-8")


def _day_number(date) -> int:
    d = _parse_date(date, "date")
    return (d.date() - EPOCH.date()).days


def _parse_date(value, what: str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    try:
        return dt.datetime.fromisoformat(str(value).strip())
    except ValueError:
        pass
    try:
        import pandas as pd

        ts = pd.Timestamp(value)
        if not pd.isna(ts):
            return ts.to_pydatetime()
    except (ValueError, TypeError):
        pass
    raise DataError(f"{what} '{value}' is not a date", fix="give an ISO date such as 2025-12-31.")


def _unit_days(unit: str) -> float:
    key = str(unit).upper()
    if key not in UNITS:
        raise DataError(f"unknown time unit '{unit}'", fix="use D (days) or W (weeks).")
    return UNITS[key]


def render(source: str, observation_end, calibration_end=None, unit: str = "D") -> str:
    """The summary SQL with its parameters filled in."""
    obs = _parse_date(observation_end, "observation end")
    cal = obs if calibration_end is None else _parse_date(calibration_end, "calibration end")
    if cal > obs:
        raise DataError(f"calibration end {cal.date()} is after observation end {obs.date()}",
                        fix="the calibration period must end on or before the observation end.")
    return summary_sql().format(source=source, obs_end=_day_number(obs), cal_end=_day_number(cal),
                                unit_days=repr(_unit_days(unit)))


class Engine(Protocol):
    """What an engine does: summarise a DataFrame or a file with the shared SQL."""

    name: str

    def summarize(self, source, observation_end, calibration_end=None, unit: str = "D",
                  mapping: Mapping[str, str] | None = None) -> "pd.DataFrame": ...

    def summarize_to_file(self, source, out, observation_end, calibration_end=None,
                          unit: str = "D", mapping: Mapping[str, str] | None = None) -> int: ...


@dataclass
class DuckDBEngine:
    """Run the summary in DuckDB (in-process). ``memory_limit`` caps DuckDB's own memory."""

    threads: int | None = None
    memory_limit: str = "768MB"
    name: str = "duckdb"

    def _connect(self):
        import duckdb

        con = duckdb.connect(database=":memory:")
        con.execute(f"SET memory_limit='{self.memory_limit}'")
        # spill to the system's temporary folder, not to .tmp/ in whatever folder the user is in
        spill = Path(tempfile.gettempdir()) / f"superkit-duckdb-{os.getpid()}"
        con.execute(f"SET temp_directory='{str(spill).replace(chr(39), chr(39) * 2)}'")
        con.execute("SET preserve_insertion_order=false")
        if self.threads:
            con.execute(f"SET threads={int(self.threads)}")
        return con

    def _exec(self, con, sql: str):
        return _run(con, sql, self.memory_limit)

    # -- sources -----------------------------------------------------------------------------
    def _register_frame(self, con, df: "pd.DataFrame") -> str:
        import numpy as np
        import pandas as pd

        days = ((df["timestamp"].to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
                 .astype(np.int64)))
        con.register("_tx", pd.DataFrame({"customer_id": df["customer_id"].to_numpy(),
                                          "day_num": days,
                                          "amount": df["amount"].to_numpy(dtype=float)}))
        return "_tx"

    def _register_file(self, con, path: Path, mapping: Mapping[str, str] | None,
                       observation_end) -> str:
        """A view over the file with our column names and types, after checking it in SQL."""
        name = str(path)
        if not path.exists():
            raise DataError("file not found", source=name, fix="check the path of the transactions file.")
        if path.stat().st_size == 0:
            raise DataError("the file is empty (0 bytes)", source=name,
                            fix="export the transactions again with a header row and data.")
        lower = "".join(path.suffixes).lower()
        with open(path, "rb") as fh:
            head = fh.read(4096)
        is_parquet = lower.endswith((".parquet", ".pq")) or head.startswith(b"PAR1")
        qp = name.replace("'", "''")
        if is_parquet:
            reader = f"read_parquet('{qp}')"
        else:
            if not lower.endswith(".gz") and looks_binary(head):
                raise DataError("the file is binary, not CSV text", source=name,
                                fix="save it as CSV (UTF-8) or Parquet.")
            reader = f"read_csv('{qp}', header=true, all_varchar=true)"
        try:
            described = con.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()
            cols = [r[0] for r in described]
            types = {r[0]: str(r[1]).upper() for r in described}
        except Exception as exc:  # duckdb raises its own exception types
            raise DataError(f"could not be read ({str(exc).splitlines()[0][:200]})", source=name,
                            fix="save it as comma-separated UTF-8 CSV with a header row, or Parquet.") from None
        mapping = dict(mapping or {})
        rename = {ours: mapping.get(ours, ours) for ours in TABLES["transactions"]["required"]}
        lowered = {c.strip().lower(): c for c in cols}
        for ours, theirs in list(rename.items()):
            if theirs not in cols and theirs.lower() in lowered:
                rename[ours] = lowered[theirs.lower()]
        missing = [o for o, t in rename.items() if t not in cols]
        if missing:
            raise DataError(f"required column{'s' if len(missing) > 1 else ''} {missing} missing",
                            source=name, column=missing[0],
                            fix=f"the file has columns {cols[:20]}; rename them or pass a mapping, "
                                f"e.g. --map {missing[0]}=<your column name>.")

        def q(c: str) -> str:
            return '"' + c.replace('"', '""') + '"'

        cid, ts, amt = (q(rename[c]) for c in ("customer_id", "timestamp", "amount"))
        # Typed (Parquet) columns are used as they are; text (CSV) is parsed with TRY_CAST so that
        # bad values can be counted and reported instead of failing the query.
        t_cid, t_ts, t_amt = (types[rename[c]] for c in ("customer_id", "timestamp", "amount"))
        cid_expr = cid if t_cid == "VARCHAR" and is_parquet else f"TRIM(CAST({cid} AS VARCHAR))"
        ts_expr = ts if t_ts.startswith("TIMESTAMP") and "TIME ZONE" not in t_ts else \
            (f"CAST({ts} AS TIMESTAMP)" if t_ts == "DATE" else f"TRY_CAST({ts} AS TIMESTAMP)")
        numeric = ("DOUBLE", "FLOAT", "INTEGER", "BIGINT", "SMALLINT", "TINYINT", "HUGEINT", "REAL")
        amt_expr = f"CAST({amt} AS DOUBLE)" if t_amt.startswith(numeric) or t_amt.startswith("DECIMAL") \
            else f"TRY_CAST({amt} AS DOUBLE)"
        self._exec(con, f"""
            CREATE VIEW _raw AS SELECT
                {cid_expr} AS customer_id,
                CAST({ts} AS VARCHAR) AS ts_text,
                {ts_expr} AS ts,
                CAST({amt} AS VARCHAR) AS amount_text,
                {amt_expr} AS amount
            FROM {reader}""")
        obs_limit = _day_number(observation_end) + 1 if observation_end is not None else None
        late_expr = (f"SUM(CASE WHEN ts >= TIMESTAMP '{EPOCH + dt.timedelta(days=obs_limit)}' THEN 1 ELSE 0 END)"
                     if obs_limit is not None else "0")
        counts = self._exec(con, f"""
            SELECT COUNT(*),
                   SUM(CASE WHEN customer_id IS NULL OR customer_id = '' THEN 1 ELSE 0 END),
                   SUM(CASE WHEN ts IS NULL THEN 1 ELSE 0 END),
                   SUM(CASE WHEN amount IS NULL OR isinf(amount) THEN 1 ELSE 0 END),
                   SUM(CASE WHEN abs(amount) >= {ABSURD_AMOUNT} THEN 1 ELSE 0 END),
                   {late_expr}
            FROM _raw""").fetchone()
        n, blank, bad_ts, bad_amt, absurd, late = (int(x or 0) for x in counts)
        if n == 0:
            raise DataError("the transactions table has a header but no rows", source=name,
                            fix="export the transactions again, with data.")

        def examples(cond: str, col: str) -> list:
            return [r[0] for r in self._exec(con, f"SELECT {col} FROM _raw WHERE {cond} LIMIT 3").fetchall()]

        if blank:
            raise DataError("blank ids", source=name, column=rename["customer_id"], rows=blank,
                            fix="drop or fill the rows without a customer id before loading.")
        if bad_ts:
            raise DataError("dates that cannot be read", source=name, column=rename["timestamp"],
                            rows=bad_ts, examples=examples("ts IS NULL", "ts_text"),
                            fix="write dates as ISO dates (2024-03-31) or datetimes (2024-03-31 14:05:00).")
        if bad_amt:
            raise DataError("values that are not numbers", source=name, column=rename["amount"],
                            rows=bad_amt, examples=examples("amount IS NULL OR isinf(amount)", "amount_text"),
                            fix="use plain numbers with a dot for decimals (1234.50), no currency text.")
        if absurd:
            raise DataError(f"amounts of {ABSURD_AMOUNT:,.0f} or more on one transaction", source=name,
                            column=rename["amount"], rows=absurd,
                            fix="check the unit (cents vs yuan) and that the amount column is not an id.")
        if late:
            raise DataError(f"dates after the observation end {_parse_date(observation_end, 'date').date()}",
                            source=name, column=rename["timestamp"], rows=late,
                            fix="set --observation-end to the last day of the data, or drop the later rows.")
        self._exec(con, """CREATE VIEW _tx AS SELECT customer_id,
                          CAST(CAST(ts AS DATE) - DATE '1970-01-01' AS BIGINT) AS day_num,
                          amount FROM _raw""")
        return "_tx"

    def _source(self, con, source, mapping, observation_end) -> str:
        if _is_frame(source):
            from superkit.contract import read_transactions

            df = read_transactions(source, mapping, observation_end=observation_end)
            return self._register_frame(con, df)
        return self._register_file(con, Path(source), mapping, observation_end)

    # -- public ------------------------------------------------------------------------------
    def summarize(self, source, observation_end, calibration_end=None, unit: str = "D",
                  mapping: Mapping[str, str] | None = None) -> "pd.DataFrame":
        con = self._connect()
        try:
            rel = self._source(con, source, mapping, observation_end)
            df = self._exec(con, render(rel, observation_end, calibration_end, unit)).df()
        finally:
            con.close()
        df["customer_id"] = df["customer_id"].astype(str)
        df = df.set_index("customer_id").sort_index()
        cols = SUMMARY_COLUMNS + (HOLDOUT_COLUMNS if calibration_end is not None else [])
        return _check_result(df[cols], source)

    def summarize_to_file(self, source, out, observation_end, calibration_end=None,
                          unit: str = "D", mapping: Mapping[str, str] | None = None) -> int:
        """Write the summary straight from DuckDB to CSV or Parquet (no pandas in between)."""
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        suffix = out.suffix.lower()
        fmt = "PARQUET" if suffix in (".parquet", ".pq") else "CSV"
        cols = SUMMARY_COLUMNS + (HOLDOUT_COLUMNS if calibration_end is not None else [])
        tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
        con = self._connect()
        try:
            rel = self._source(con, source, mapping, observation_end)
            sql = render(rel, observation_end, calibration_end, unit)
            self._exec(con, f"CREATE TEMP TABLE _summary AS SELECT customer_id, {', '.join(cols)} FROM ({sql})")
            n = con.execute("SELECT COUNT(*) FROM _summary").fetchone()[0]
            if n == 0:
                raise DataError("no purchases on or before the calibration / observation end",
                                source=source_name_of(source),
                                fix="check the dates: the calibration end may be before the first purchase.")
            opts = "(FORMAT PARQUET)" if fmt == "PARQUET" else "(FORMAT CSV, HEADER true)"
            qtmp = str(tmp).replace("'", "''")
            self._exec(con, f"COPY (SELECT * FROM _summary ORDER BY customer_id) TO '{qtmp}' {opts}")
            os.replace(tmp, out)
        finally:
            con.close()
            if tmp.exists():
                tmp.unlink()
        return int(n)


def _run(con, sql: str, memory_limit: str):
    """Execute on DuckDB; resource failures become one clear EngineError."""
    import duckdb

    try:
        return con.execute(sql)
    except duckdb.OutOfMemoryException:
        raise EngineError(f"DuckDB ran out of memory (limit {memory_limit}) while summarising. Remedy: "
                          "raise the limit (--memory-limit 2GB) or free disk space in the temporary "
                          f"folder {tempfile.gettempdir()} that DuckDB spills to.") from None
    except duckdb.IOException as exc:
        raise EngineError(f"DuckDB could not read or write a file: {str(exc).splitlines()[0][:200]}. "
                          "Remedy: check the paths, permissions and free disk space.") from None


def _is_frame(source) -> bool:
    return type(source).__name__ == "DataFrame" and hasattr(source, "columns")


def source_name_of(source) -> str:
    return "the DataFrame" if _is_frame(source) else str(source)


def _check_result(df: "pd.DataFrame", source) -> "pd.DataFrame":
    if len(df) == 0:
        raise DataError("no purchases on or before the calibration / observation end",
                        source=source_name_of(source),
                        fix="check the dates: the calibration end may be before the first purchase.")
    return df


ENGINES = {"duckdb": DuckDBEngine}


def get_engine(engine: "str | Engine" = "duckdb") -> Engine:
    if not isinstance(engine, str):
        return engine
    if engine not in ENGINES:
        raise DataError(f"unknown engine '{engine}'", fix=f"use one of {sorted(ENGINES)}.")
    return ENGINES[engine]()


def summarize(transactions, observation_end, calibration_end=None, unit: str = "D",
              engine: "str | Engine" = "duckdb", mapping: Mapping[str, str] | None = None) -> "pd.DataFrame":
    """One row per customer, indexed by ``customer_id``.

    ``transactions`` is a DataFrame in the contract (or with ``mapping``) or the path of a CSV /
    Parquet file, which is read out of core. Columns: ``frequency`` (repeat purchase days),
    ``recency``, ``T`` (in ``unit``), ``monetary_value`` (mean net spend of repeat purchase
    days); with ``calibration_end`` also ``frequency_holdout``, ``monetary_value_holdout``,
    ``duration_holdout``.
    """
    return get_engine(engine).summarize(transactions, observation_end, calibration_end, unit, mapping)


def summarize_to_file(transactions, out, observation_end, calibration_end=None, unit: str = "D",
                      engine: "str | Engine" = "duckdb", mapping: Mapping[str, str] | None = None) -> int:
    """Summarise and write CSV or Parquet (by ``out``'s suffix); returns the number of customers."""
    return get_engine(engine).summarize_to_file(transactions, out, observation_end, calibration_end,
                                                unit, mapping)
