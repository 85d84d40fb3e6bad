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

from superkit.data.reading import (FEN_COUNTS, Parsed, Reader, amount_unit_note, connect, id_select, ids_read_per_text,
                                   looks_like_fen, open_table, parse_transactions, read_options, row_problems,
                                   rows_clear_by_bounds)
from superkit.data.store import check_end, is_store, open_staged, staged_meta
from superkit.data.summary import (EPOCH, HOLDOUT_COLUMNS, SUMMARY_COLUMNS, no_purchases, render, source_name,
                                   split)

_DAY = f"CAST(CAST(\"timestamp\" AS DATE) - DATE '{EPOCH.date()}' AS INTEGER)"   # (a narrower group key than BIGINT)

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
    fuse: bool = True        # check as the summary reads, where the source allows (False: a checked copy first)

    def __post_init__(self):
        self.notes: list[str] = []
        self.warnings: list[str] = []
        self.one_pass = False    # whether the last summary was checked as it was read (see _one_pass)
        self.no_refunds = False  # whether that summary skipped the purchase-day test: no amount was negative

    def _one_pass(self, reader: Reader, source, mapping, observation_end, calibration_end, unit) -> str | None:
        """The summary of a source checked as it is read, without a checked copy of its rows (that copy
        made a 10M-row summary take twice as long as the aggregation): one scan counts every row
        condition of the reading rules, the summary groups the customer ids as written, and the id
        rules then read each distinct id text once. For what most files are: no order id that repeats and
        nothing the rules would refuse, note or warn about. Returns the summary's final SELECT, or
        None when the source has an order id that repeats or anything the rules speak about -- then
        :meth:`_source` reads it by :func:`superkit.data.reading.parse_transactions`, which gives the
        message."""
        if is_store(source) or (isinstance(source, (str, os.PathLike)) and staged_meta(source)):
            return None
        opened, spec = open_table(reader, source, "transactions", mapping)
        id_type = opened.types.get(spec["customer_id"][0], "VARCHAR")
        if not ids_read_per_text(id_type):
            return None
        p = Parsed(reader, opened, "transactions", spec, observation_end, materialize=False)
        if "order_id" in spec:   # the order-id rules speak only of order ids that repeat
            oid = '"order_id"'
            repeats, = reader.query(f"SELECT COUNT(*) FROM (SELECT {oid} FROM {p.view} WHERE {oid} IS NOT NULL "
                                    f"GROUP BY {oid} HAVING COUNT(*) > 1)", p.name).fetchall()[0]
            if repeats:
                return None
        clear, no_refunds = rows_clear_by_bounds(p, opened)
        if not clear:
            n_rows, problem, whole, n_pos, n_k, no_refunds = reader.query(    # the rows' checks: one scan
                f"SELECT COUNT(*), bool_or({' OR '.join(row_problems(p))}), {FEN_COUNTS}, "
                f"coalesce(min(amount) >= 0, false) FROM {p.view}", p.name).fetchall()[0]
            if not n_rows or problem or (reader.options.amount_unit == "yuan" and looks_like_fen(whole, n_pos, n_k)):
                return None
        self.no_refunds = bool(no_refunds)
        rows = f"SELECT \"customer_id__raw\" AS customer_id, {_DAY} AS day_num, amount FROM {p.view}"
        per_customer, final = split(render(f"({rows})", observation_end, calibration_end, unit, customers="_customers",
                                           refunds=not no_refunds))
        reader.query(f"CREATE TEMP TABLE _by_text AS {per_customer}", p.name)
        strip = reader.options.strip_leading_zeros
        reader.exec(f"CREATE TEMP TABLE _ids AS SELECT customer_id AS _text, _id, _bad "
                    f"FROM ({id_select('_by_text', 'customer_id', strip)})")
        ok, = reader.exec("SELECT NOT bool_or(_bad OR _id IS NULL) AND COUNT(DISTINCT _id) = COUNT(*) "
                          "FROM _ids").fetchall()[0]
        if not ok:           # blank or unreadable ids, or two texts of one id (" 7" and "7"): by the rules
            reader.exec("DROP TABLE _ids; DROP TABLE _by_text")
            return None
        reader.exec("CREATE TEMP VIEW _customers AS SELECT c.* REPLACE (i._id AS customer_id) "
                    "FROM _by_text c JOIN _ids i ON c.customer_id = i._text")
        self.notes = list(p.notes) + ([amount_unit_note(p)] if reader.options.amount_unit != "yuan" else [])
        self.warnings = []
        return final

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
                         {_DAY} AS day_num,
                         amount FROM {relation}""", name)
        return "_tx"

    def _sql(self, reader: Reader, source, mapping, observation_end, calibration_end, unit) -> str:
        """The summary's SQL: in one pass when the source allows (see :meth:`_one_pass`), else on
        the transactions read by the rules."""
        self.one_pass = self.no_refunds = False
        if self.fuse:
            final = self._one_pass(reader, source, mapping, observation_end, calibration_end, unit)
            if final is not None:
                self.one_pass = True
                return final
        return render(self._source(reader, source, mapping, observation_end), observation_end, calibration_end, unit)

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
            df = reader.query(self._sql(reader, source, mapping, observation_end, calibration_end, unit),
                              source_name(source)).df()
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
            sql = self._sql(reader, source, mapping, observation_end, calibration_end, unit)
            opts = "(FORMAT PARQUET)" if fmt == "PARQUET" else "(FORMAT CSV, HEADER true)"
            qtmp = str(tmp).replace("'", "''")
            n = reader.query(f"COPY (SELECT customer_id, {', '.join(cols)} FROM ({sql}) ORDER BY customer_id) "
                             f"TO '{qtmp}' {opts}", str(source)).fetchone()[0]    # COPY returns the rows written
            if n == 0:
                raise no_purchases(source)
            os.replace(tmp, out)
        finally:
            reader.close()
            con.close()
            if tmp.exists():
                tmp.unlink()
        return int(n)
