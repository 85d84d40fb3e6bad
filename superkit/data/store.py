"""Transactions at client scale: read once, kept out of pandas, aggregated in SQL.

A report reads each large table once (:func:`stage`): the client's file is parsed and checked by
the reading rules (:mod:`superkit.data.reading`, the same code every path runs) and the parsed
contract columns are written to a Parquet file in the run's folder, with a small JSON beside it
(``<file>.superkit.json``) that records what reading did. Every notebook of the run then opens
that file as a :class:`Store`: a DuckDB view over the Parquet file, never a DataFrame of millions
of rows. The analyses send their transaction-level work to it as SQL (:func:`query`) and get back
per-customer (or per-cell) tables only.

:func:`query` takes a DataFrame too (registered with DuckDB without a copy), so the analyses run
the same SQL on a notebook's in-memory table, a bundled sample and a staged file: one code path,
the same numbers. Sums of amounts are exact (DECIMAL, as in ``summary.sql``) so that the last digit
does not depend on the order in which DuckDB's threads add the rows.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from superkit.core.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["EXACT", "SIDECAR", "STAGED_FORMAT", "STAGED_TABLES", "Store", "as_frame", "check_end", "is_store",
           "open_staged", "query", "read_table", "stage", "staged_meta", "time_span"]

SIDECAR = ".superkit.json"        # beside a staged Parquet file: what reading did
STAGED_TABLES = ("transactions", "events")   # the tables that grow with the client (members stay small)
STAGED_FORMAT = "superkit-staged-1"   # the record's format, in every staged file's record
EXACT = "CAST(amount AS DECIMAL(38, 6))"   # an amount summed exactly


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + SIDECAR)


def staged_meta(path) -> dict | None:
    """The record beside a staged Parquet file, or None for any other file."""
    p = Path(str(path))
    side = _sidecar(p)
    if p.suffix.lower() != ".parquet" or not side.is_file():
        return None
    try:
        meta = json.loads(side.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return meta if isinstance(meta, dict) and meta.get("format") == STAGED_FORMAT else None


@dataclass
class Store:
    """A table of parsed contract columns in a Parquet file, queried in DuckDB.

    ``attrs`` has ``notes`` and ``warnings`` as a reader's DataFrame has; ``source`` is the client's
    file it was read from. ``len()`` is its number of rows; :meth:`to_pandas` fetches columns (and
    rows) when a small part is needed in pandas.
    """

    path: Path
    table: str
    columns: list
    rows: int
    source: str = ""
    attrs: dict = field(default_factory=dict)
    kinds: dict = field(default_factory=dict)     # contract column -> kind (time, amount, id ...)
    theirs: dict = field(default_factory=dict)    # contract column -> the client's name for it
    engine: str = "duckdb"                        # where its queries run: duckdb, or spark (a folder of parts)
    memory_limit: str | None = "2GB"      # DuckDB's own memory per query (it spills to disk beyond it)
    threads: int | None = None

    def __len__(self) -> int:
        return int(self.rows)

    @property
    def relation(self) -> str:
        where = str(self.path) + ("/**/*.parquet" if Path(self.path).is_dir() else "")
        return "read_parquet('" + where.replace("'", "''") + "')"

    def connect(self):
        from superkit.data.reading import connect
        return connect(self.memory_limit, self.threads)

    def to_pandas(self, columns=None) -> "pd.DataFrame":
        """Columns (default all) as pandas, in the file's row order."""
        cols = list(columns or self.columns)
        missing = [c for c in cols if c not in self.columns]
        if missing:
            raise DataError(f"no column {missing} in the staged {self.table}", source=self.source or str(self.path),
                            fix=f"use one of {self.columns}.")
        return query(self, f"SELECT {', '.join(_q(c) for c in cols)} FROM {{tx}}")


def is_store(obj) -> bool:
    return isinstance(obj, Store)


def _q(col: str) -> str:
    return '"' + col.replace('"', '""') + '"'


def as_frame(tx, columns=None) -> "pd.DataFrame":
    """A DataFrame of ``columns`` (those present) of a DataFrame or a :class:`Store`."""
    if is_store(tx):
        return tx.to_pandas([c for c in (columns or tx.columns) if c in tx.columns])
    return tx if columns is None else tx[[c for c in columns if c in tx.columns]]


def query(tx, sql: str, **relations) -> "pd.DataFrame":
    """Run ``sql`` with ``{tx}`` standing for the transactions -- a DataFrame or a :class:`Store` --
    and each keyword for another DataFrame (``{members}``...); the result as pandas, times as
    datetime64[ns]. The connection is closed when the result is back."""
    import duckdb
    import pandas as pd

    from superkit.data.reading import connect

    if is_store(tx) and tx.engine == "spark":
        from superkit.data import spark_engine
        return spark_engine.query(tx, sql, relations)
    con = tx.connect() if is_store(tx) else connect()
    try:
        names = {}
        if is_store(tx):
            names["tx"] = tx.relation
        else:
            con.register("_tx_frame", _plain_frame(tx))
            names["tx"] = "_tx_frame"
        for key, df in relations.items():
            con.register(f"_{key}_frame", _plain_frame(df))
            names[key] = f"_{key}_frame"
        out = con.sql(sql.format(**names)).to_arrow_table()
    except duckdb.OutOfMemoryException:
        from superkit.core.errors import EngineError
        raise EngineError("DuckDB ran out of memory on a query of the transactions. Remedy: free memory (run "
                          "one notebook at a time: --jobs 1), free disk space in the temporary folder it spills "
                          "to, or use engine: spark.") from None
    finally:
        con.close()
    import pyarrow as pa

    # exact sums come back as decimals: float64 for the models
    out = out.cast(pa.schema([pa.field(f.name, pa.float64()) if pa.types.is_decimal(f.type) else f
                              for f in out.schema]))
    frame = out.to_pandas()
    for c in frame.columns:
        if str(frame[c].dtype).startswith("datetime64") and str(frame[c].dtype) != "datetime64[ns]":
            frame[c] = frame[c].astype("datetime64[ns]")
    return frame


def time_span(tx) -> tuple["pd.Timestamp", "pd.Timestamp"]:
    """The first and last transaction times of a DataFrame or a :class:`Store` (one SQL pass)."""
    import pandas as pd

    row = query(tx, 'SELECT MIN("timestamp") AS first, MAX("timestamp") AS last FROM {tx}').iloc[0]
    return pd.Timestamp(row["first"]), pd.Timestamp(row["last"])


def _plain_frame(df):
    """What DuckDB scans: the columns (the index is not a column)."""
    return df


# --------------------------------------------------------------------------------------------
# Staging: read a client's table once per report
# --------------------------------------------------------------------------------------------
def stage(table: str, source, out: Path, mapping=None, options=None, memory_limit: str = "2GB") -> dict:
    """Parse ``source`` (a client's file) by the reading rules and write the parsed columns to
    ``out`` (Parquet) with its record beside it; returns the record. No observation end is applied:
    each notebook checks its own. Written under temporary names and moved into place, so a crash
    leaves no half-written file."""
    from superkit.data.reading import Reader, connect, parse_table, parse_transactions, read_options

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    con = connect(memory_limit)
    reader = Reader(read_options(options), con=con, memory_limit=memory_limit)
    try:
        parsed = (parse_transactions(reader, source, mapping) if table == "transactions"
                  else parse_table(reader, source, table, mapping))
        cols = list(parsed.kinds)
        qtmp = str(tmp).replace("'", "''")
        reader.query(f"COPY (SELECT {', '.join(_q(c) for c in cols)} FROM {parsed.data}{parsed.order}) "
                     f"TO '{qtmp}' (FORMAT PARQUET, ROW_GROUP_SIZE 1000000)", parsed.name)
        rows = con.execute(f"SELECT COUNT(*) FROM read_parquet('{qtmp}')").fetchone()[0]
        meta = {"format": STAGED_FORMAT, "table": table, "source": str(source), "columns": cols,
                "kinds": dict(parsed.kinds), "theirs": dict(parsed.theirs), "rows": int(rows),
                "notes": list(parsed.notes), "warnings": list(parsed.warnings)}
        reader.close()
        os.replace(tmp, out)
        side = _sidecar(out)
        side_tmp = side.with_name(f".{side.name}.{os.getpid()}.tmp")
        side_tmp.write_text(json.dumps(meta, indent=1, ensure_ascii=False), encoding="utf-8")
        os.replace(side_tmp, side)
    finally:
        con.close()
        if tmp.exists():
            tmp.unlink()
    return meta


def open_staged(path, table: str, observation_end=None) -> "Store | pd.DataFrame":
    """A staged file as its notebook reads it: transactions as a :class:`Store`, other tables as a
    DataFrame. Rows after ``observation_end`` are refused with the readers' message."""
    meta = staged_meta(path)
    if meta is None or meta.get("table") != table:
        raise DataError(f"not a staged {table} file", source=str(path),
                        fix="give the client's file; a report stages it itself.")
    store = Store(Path(path), table, list(meta["columns"]), int(meta["rows"]), meta.get("source", ""),
                  attrs={"notes": list(meta.get("notes", [])), "warnings": list(meta.get("warnings", []))},
                  kinds=dict(meta.get("kinds", {})), theirs=dict(meta.get("theirs", {})),
                  engine=meta.get("engine", "duckdb"))
    check_end(store, observation_end)
    if table == "transactions":
        return store
    df = store.to_pandas()
    df.attrs.update(store.attrs)
    return df


def check_end(store: Store, observation_end) -> None:
    """Refuse rows after ``observation_end`` (None: no check), with the readers' message."""
    from superkit.core.checks import parse_date
    from superkit.data import rules

    end = parse_date(observation_end, "observation_end")
    if end is None:
        return
    for col, kind in store.kinds.items():
        if kind != "time":
            continue
        cond = f"{_q(col)} >= TIMESTAMP '{rules.end_limit(end)}'"
        late = query(store, f"SELECT COUNT(*) AS n FROM {{tx}} WHERE {cond}")["n"].iloc[0]
        if late:
            ex = query(store, f"SELECT DISTINCT strftime({_q(col)}, '%Y-%m-%d %H:%M:%S') AS v FROM {{tx}} "
                              f"WHERE {cond} ORDER BY v LIMIT 3")["v"].tolist()
            raise rules.after_observation_end(end, store.source or str(store.path), store.theirs.get(col, col),
                                              int(late), ex)


def read_table(table: str, source, mapping=None, observation_end=None, options=None):
    """A table as every path reads it: a staged file (:func:`stage`) as :func:`open_staged` opens
    it, anything else by the contract's reader with ``mapping`` and ``options``."""
    if isinstance(source, (str, os.PathLike)) and staged_meta(source) is not None:
        return open_staged(source, table, observation_end)
    from superkit.data.contract import READERS
    return READERS[table](source, mapping, observation_end=observation_end, options=options)
