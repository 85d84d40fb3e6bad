"""The DuckDB summary engine: embedded, multi-threaded, out of core.

It summarises CSV or Parquet files larger than memory without loading them into pandas: the file
is opened, parsed and checked by the reading rules (:mod:`superkit.data.reading`) -- the same code
the pandas readers run, so a file is accepted or refused, and read to the same numbers, on both
paths -- then the shared ``summary.sql`` runs on the parsed view. A DataFrame goes the same way.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

from superkit.data.reading import Reader, connect, parse_transactions, read_options
from superkit.data.store import check_end, is_store, open_staged, staged_meta
from superkit.data.summary import EPOCH, HOLDOUT_COLUMNS, SUMMARY_COLUMNS, no_purchases, render, source_name

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DuckDBEngine"]


@dataclass
class DuckDBEngine:
    """Run the summary in DuckDB (in-process). ``memory_limit`` caps DuckDB's own memory; ``notes``
    holds what the last read did (an encoding, a title line skipped, repeated rows dropped) and
    ``warnings`` what to check (amounts that look like fen)."""

    threads: int | None = None
    memory_limit: str = "768MB"
    name: str = "duckdb"

    def __post_init__(self):
        self.notes: list[str] = []
        self.warnings: list[str] = []

    def _source(self, reader: Reader, source, mapping, observation_end) -> str:
        """The transactions by the rules, as ``customer_id, day_num, amount``. Staged transactions
        (a :class:`superkit.data.store.Store`, or its file) were parsed and checked when a report
        read them: only the observation end is checked again."""
        if not is_store(source) and isinstance(source, (str, os.PathLike)) and staged_meta(source):
            source = open_staged(source, "transactions", observation_end)
        if is_store(source):
            check_end(source, observation_end)
            self.notes, self.warnings = list(source.attrs.get("notes", [])), list(source.attrs.get("warnings", []))
            relation, name = source.relation, source.source or str(source.path)
        else:
            parsed = parse_transactions(reader, source, mapping, observation_end)
            self.notes, self.warnings = list(parsed.notes), list(parsed.warnings)
            relation, name = parsed.data, parsed.name
        reader.query(f"""CREATE TEMP VIEW _tx AS SELECT customer_id,
                         CAST(CAST("timestamp" AS DATE) - DATE '{EPOCH.date()}' AS BIGINT) AS day_num,
                         amount FROM {relation}""", name)
        return "_tx"

    def _reader(self, options) -> Reader:
        con = connect(self.memory_limit, self.threads)
        con.execute("SET preserve_insertion_order=false")   # a summary needs no row order
        return Reader(read_options(options), con=con, memory_limit=self.memory_limit)

    # -- public ------------------------------------------------------------------------------
    def summarize(self, source, observation_end, calibration_end=None, unit: str = "D",
                  mapping: Mapping[str, str] | None = None, options=None) -> "pd.DataFrame":
        """One row per customer (see :func:`superkit.data.summary.summarize`)."""
        reader = self._reader(options)
        try:
            rel = self._source(reader, source, mapping, observation_end)
            df = reader.query(render(rel, observation_end, calibration_end, unit), source_name(source)).df()
        finally:
            reader.close()
            reader.con.close()
        df["customer_id"] = df["customer_id"].astype(str)
        df = df.set_index("customer_id").sort_index()
        cols = SUMMARY_COLUMNS + (HOLDOUT_COLUMNS if calibration_end is not None else [])
        if len(df) == 0:
            raise no_purchases(source)
        return df[cols]

    def summarize_to_file(self, source, out, observation_end, calibration_end=None,
                          unit: str = "D", mapping: Mapping[str, str] | None = None, options=None) -> int:
        """Write the summary straight from DuckDB to CSV or Parquet (no pandas in between)."""
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        fmt = "PARQUET" if out.suffix.lower() in (".parquet", ".pq") else "CSV"
        cols = SUMMARY_COLUMNS + (HOLDOUT_COLUMNS if calibration_end is not None else [])
        tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
        reader = self._reader(options)
        con = reader.con
        try:
            rel = self._source(reader, source, mapping, observation_end)
            sql = render(rel, observation_end, calibration_end, unit)
            reader.query(f"CREATE TEMP TABLE _summary AS SELECT customer_id, {', '.join(cols)} FROM ({sql})",
                         str(source))
            n = con.execute("SELECT COUNT(*) FROM _summary").fetchone()[0]
            if n == 0:
                raise no_purchases(source)
            opts = "(FORMAT PARQUET)" if fmt == "PARQUET" else "(FORMAT CSV, HEADER true)"
            qtmp = str(tmp).replace("'", "''")
            reader.query(f"COPY (SELECT * FROM _summary ORDER BY customer_id) TO '{qtmp}' {opts}", str(out))
            os.replace(tmp, out)
        finally:
            reader.close()
            con.close()
            if tmp.exists():
                tmp.unlink()
        return int(n)
