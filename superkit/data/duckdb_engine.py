"""The DuckDB summary engine: embedded, multi-threaded, out of core.

It summarises CSV or Parquet files larger than memory without loading them into pandas: the file
is checked in SQL (counts of blank ids, unreadable dates, non-numbers, absurd amounts and late
dates, reported through :mod:`superkit.data.rules` exactly as the pandas readers report them),
then the shared ``summary.sql`` runs on it. A DataFrame is validated by the pandas reader first.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

from superkit.core.checks import parse_date
from superkit.core.errors import EngineError
from superkit.data import rules
from superkit.data.spec import ABSURD_AMOUNT, TABLES
from superkit.data.summary import (EPOCH, HOLDOUT_COLUMNS, SUMMARY_COLUMNS, is_frame, no_purchases,
                                   render)

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DuckDBEngine"]

_NUMERIC = ("DOUBLE", "FLOAT", "INTEGER", "BIGINT", "SMALLINT", "TINYINT", "HUGEINT", "REAL", "DECIMAL",
           "UINTEGER", "UBIGINT", "USMALLINT", "UTINYINT")


def _quote(c: str) -> str:
    return '"' + c.replace('"', '""') + '"'


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
        """Execute on DuckDB; resource failures become one clear EngineError."""
        import duckdb

        try:
            return con.execute(sql)
        except duckdb.OutOfMemoryException:
            raise EngineError(f"DuckDB ran out of memory (limit {self.memory_limit}) while summarising. "
                              "Remedy: raise the limit (--memory-limit 2GB) or free disk space in the "
                              f"temporary folder {tempfile.gettempdir()} that DuckDB spills to.") from None
        except duckdb.IOException as exc:
            raise EngineError(f"DuckDB could not read or write a file: {str(exc).splitlines()[0][:200]}. "
                              "Remedy: check the paths, permissions and free disk space.") from None

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
        is_parquet, _ = rules.check_file(path, "transactions")
        qp = name.replace("'", "''")
        reader = f"read_parquet('{qp}')" if is_parquet else f"read_csv('{qp}', header=true, all_varchar=true)"
        try:
            described = con.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()
            cols = [r[0] for r in described]
            types = {r[0]: str(r[1]).upper() for r in described}
        except Exception as exc:  # duckdb raises its own exception types
            raise rules.unreadable(name, str(exc).splitlines()[0]) from None
        mapping = dict(mapping or {})
        rename = {ours: mapping.get(ours, ours) for ours in TABLES["transactions"]["required"]}
        lowered = {c.strip().lower(): c for c in cols}
        for ours, theirs in list(rename.items()):
            if theirs not in cols and theirs.lower() in lowered:
                rename[ours] = lowered[theirs.lower()]
        missing = [o for o, t in rename.items() if t not in cols]
        if missing:
            raise rules.missing_columns(missing, cols, name)

        cid, ts, amt = (_quote(rename[c]) for c in ("customer_id", "timestamp", "amount"))
        # Typed (Parquet) columns are used as they are; text (CSV) is parsed with TRY_CAST so that
        # bad values can be counted and reported instead of failing the query.
        t_cid, t_ts, t_amt = (types[rename[c]] for c in ("customer_id", "timestamp", "amount"))
        cid_expr = cid if t_cid == "VARCHAR" and is_parquet else f"TRIM(CAST({cid} AS VARCHAR))"
        ts_expr = ts if t_ts.startswith("TIMESTAMP") and "TIME ZONE" not in t_ts else \
            (f"CAST({ts} AS TIMESTAMP)" if t_ts == "DATE" else f"TRY_CAST({ts} AS TIMESTAMP)")
        amt_expr = f"CAST({amt} AS DOUBLE)" if t_amt.startswith(_NUMERIC) else f"TRY_CAST({amt} AS DOUBLE)"
        self._exec(con, f"""
            CREATE VIEW _raw AS SELECT
                {cid_expr} AS customer_id,
                CAST({ts} AS VARCHAR) AS ts_text,
                {ts_expr} AS ts,
                CAST({amt} AS VARCHAR) AS amount_text,
                {amt_expr} AS amount
            FROM {reader}""")
        end = parse_date(observation_end, "observation_end")
        late_expr = (f"SUM(CASE WHEN ts >= TIMESTAMP '{rules.end_limit(end)}' THEN 1 ELSE 0 END)"
                     if end is not None else "0")
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
            raise rules.no_rows("transactions", name)

        def examples(cond: str, col: str) -> list:
            return [r[0] for r in self._exec(con, f"SELECT {col} FROM _raw WHERE {cond} LIMIT 3").fetchall()]

        if blank:
            raise rules.blank_ids(name, rename["customer_id"], blank)
        if bad_ts:
            raise rules.unreadable_dates(name, rename["timestamp"], bad_ts, examples("ts IS NULL", "ts_text"))
        if bad_amt:
            raise rules.not_numbers(name, rename["amount"], bad_amt,
                                    examples("amount IS NULL OR isinf(amount)", "amount_text"))
        if absurd:
            raise rules.absurd_amounts(name, rename["amount"], absurd,
                                       examples(f"abs(amount) >= {ABSURD_AMOUNT}", "amount"))
        if late:
            raise rules.after_observation_end(end, name, rename["timestamp"], late,
                                              examples(f"ts >= TIMESTAMP '{rules.end_limit(end)}'", "ts_text"))
        self._exec(con, f"""CREATE VIEW _tx AS SELECT customer_id,
                          CAST(CAST(ts AS DATE) - DATE '{EPOCH.date()}' AS BIGINT) AS day_num,
                          amount FROM _raw""")
        return "_tx"

    def _source(self, con, source, mapping, observation_end) -> str:
        if is_frame(source):
            from superkit.data.contract import read_transactions

            df = read_transactions(source, mapping, observation_end=observation_end)
            return self._register_frame(con, df)
        return self._register_file(con, Path(source), mapping, observation_end)

    # -- public ------------------------------------------------------------------------------
    def summarize(self, source, observation_end, calibration_end=None, unit: str = "D",
                  mapping: Mapping[str, str] | None = None) -> "pd.DataFrame":
        """One row per customer (see :func:`superkit.data.summary.summarize`)."""
        con = self._connect()
        try:
            rel = self._source(con, source, mapping, observation_end)
            df = self._exec(con, render(rel, observation_end, calibration_end, unit)).df()
        finally:
            con.close()
        df["customer_id"] = df["customer_id"].astype(str)
        df = df.set_index("customer_id").sort_index()
        cols = SUMMARY_COLUMNS + (HOLDOUT_COLUMNS if calibration_end is not None else [])
        if len(df) == 0:
            raise no_purchases(source)
        return df[cols]

    def summarize_to_file(self, source, out, observation_end, calibration_end=None,
                          unit: str = "D", mapping: Mapping[str, str] | None = None) -> int:
        """Write the summary straight from DuckDB to CSV or Parquet (no pandas in between)."""
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        fmt = "PARQUET" if out.suffix.lower() in (".parquet", ".pq") else "CSV"
        cols = SUMMARY_COLUMNS + (HOLDOUT_COLUMNS if calibration_end is not None else [])
        tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
        con = self._connect()
        try:
            rel = self._source(con, source, mapping, observation_end)
            sql = render(rel, observation_end, calibration_end, unit)
            self._exec(con, f"CREATE TEMP TABLE _summary AS SELECT customer_id, {', '.join(cols)} FROM ({sql})")
            n = con.execute("SELECT COUNT(*) FROM _summary").fetchone()[0]
            if n == 0:
                raise no_purchases(source)
            opts = "(FORMAT PARQUET)" if fmt == "PARQUET" else "(FORMAT CSV, HEADER true)"
            qtmp = str(tmp).replace("'", "''")
            self._exec(con, f"COPY (SELECT * FROM _summary ORDER BY customer_id) TO '{qtmp}' {opts}")
            os.replace(tmp, out)
        finally:
            con.close()
            if tmp.exists():
                tmp.unlink()
        return int(n)
