"""The reading rules, defined once and run by every path that reads a table.

A file (CSV or Parquet) or a DataFrame is opened as a DuckDB relation of its columns as written;
each column of the contract is then parsed by **one SQL expression per kind** (an id, a time, an
amount, a number, a text), built here. The pandas readers (:mod:`superkit.data.contract`) fetch the
parsed columns into pandas; the summary engine (:mod:`superkit.data.duckdb_engine`) runs its query
on the same parsed relation out of core. So ``superkit validate`` and ``superkit summarize`` accept
and refuse the same files with the same numbers: they are the same code up to the last step.

The rules (the data contract in the README says the same for users):

* **Encoding.** UTF-8 (with or without a BOM) is read as it is; text that is not UTF-8 is tried
  strictly as GB18030 (a superset of GBK, what Excel's plain "CSV" writes on Chinese Windows) and a
  UTF-16 file with a BOM as UTF-16; either is decoded to a temporary UTF-8 copy (the input is never
  modified) and the encoding used is reported. ``encoding=`` forces one. Nothing is ever decoded
  with replacement characters.
* **Layout.** The delimiter is the one of ``, ; TAB |`` that splits the first lines into the most
  consistent number of fields; lines above the header with at most one field (a title such as
  "订单导出 2025年1月") are skipped and reported; two columns with the same name are refused; empty
  trailing fields (a comma at the end of each line) are ignored.
* **Missing values.** Empty cells and the placeholders of spreadsheets and databases (``#N/A``,
  ``N/A``, ``NULL``, ``\\N``, ``nan``, ``None``, ``-`` ...) are missing, in every column but the
  keys of a survey or catalog (an alternative may be called ``none``); a customer id that is missing
  is refused, with the count of placeholders. Excel's ``="000010"`` is ``000010``.
* **Ids** are text as written (``000010`` stays ``000010``), trimmed; ``10.0`` (an id that went
  through a float column) is ``10``; ids in scientific notation (``1.2E+11``, digits lost in Excel)
  are refused. ``strip_leading_zeros`` drops leading zeros from all-digit ids of every table, for
  exports where one system kept them and another did not.
* **Times** are ISO dates or datetimes, ``2025/1/5``, ``2025.1.5``, ``20250105``, ``2025年1月5日``,
  with an optional time (``14:05``, ``下午2:05``, ``2:05 PM``) and an optional UTC offset. Years
  outside 1900-2098 are refused (a typed 3025); in ``ended_at`` a year from 2099 on (the CRMs'
  ``9999-12-31``) means "no end". US or European day-month orders (``01/05/2025``) and
  spreadsheet serial numbers are refused, never guessed. **Time zones:** times are local wall-clock
  times as written -- a single UTC offset on every row is dropped, not converted (a Beijing
  purchase at 01:30 stays on its day); times in several offsets, or typed as instants (a Parquet
  timestamp with time zone, a time-zone-aware pandas column), need ``timezone=`` (e.g. ``Asia/Shanghai``), which converts them to
  that zone's wall clock and takes times without an offset as already in it.
* **Amounts and numbers**: ``1234.5``, ``-12``, ``¥1,234.50``, ``￥12``, ``12元``, ``RMB 12``,
  ``(12.50)`` (a refund in accounting notation); thousands separators only in groups of three.
  ``amount_unit="fen"`` divides transaction amounts by 100 (WeChat Pay and many back-ends export
  fen, 分); amounts that look like fen (all whole numbers, median purchase >= 1,000) get a warning.
* **Transactions** (:func:`parse_transactions`, what every path reads): absurd amounts and times
  after the observation end refused; an ``order_id`` under two customers refused; rows repeated
  exactly under one ``order_id`` (overlapping monthly exports) dropped and counted.

Everything here is plain DuckDB SQL (``regexp_replace``, ``TRY_CAST``), so an engine beside DuckDB
(Spark) can run the same expressions; where a dialect differs, the difference is one function here.
"""
from __future__ import annotations

import codecs
import csv
import io
import os
import re
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from superkit.core import i18n
from superkit.core.checks import parse_date
from superkit.core.errors import DataError, EngineError, ParameterError
from superkit.data import rules
from superkit.data.spec import ABSURD_AMOUNT, ATTRIBUTE_TABLES, TABLES, looks_binary

__all__ = [
    "AMOUNT_UNITS",
    "COLUMN_KINDS",
    "CsvLayout",
    "FEN_COUNTS",
    "KINDS",
    "MAX_YEAR",
    "MIN_YEAR",
    "NO_END_YEAR",
    "Opened",
    "PLACEHOLDERS",
    "Parsed",
    "ReadOptions",
    "Reader",
    "amount_unit_note",
    "connect",
    "id_expr",
    "id_select",
    "ids_read_per_text",
    "looks_like_fen",
    "map_columns",
    "number_expr",
    "open_table",
    "parse_table",
    "parse_transactions",
    "read_options",
    "read_text",
    "row_problems",
    "rows_clear_by_bounds",
    "sniff_csv",
    "time_exprs",
]

PLACEHOLDERS = ("#n/a", "n/a", "na", "#na", "null", "(null)", "<null>", "\\n", "nan", "nat", "none",
                "nil", "-", "--", "#null!", "#value!", "#ref!", "undefined")
AMOUNT_UNITS = {"yuan": 1, "fen": 100}   # what an amount in the unit is divided by to give yuan
MIN_YEAR = 1900                      # the years a real time falls in
MAX_YEAR = 2098
NO_END_YEAR = 2099                   # an ended_at from this year on means "no end" (9999-12-31)
_DELIMITERS = (",", ";", "\t", "|")
_SNIFF_BYTES = 1 << 18


@dataclass(frozen=True)
class ReadOptions:
    """How to read a client's files where their exports differ (see the module docstring).

    ``encoding``: None to detect (UTF-8, GB18030, UTF-16 with a BOM), or a Python codec name;
    ``amount_unit``: ``yuan`` or ``fen`` (transaction amounts divided by 100); ``timezone``: None
    (wall clock as written) or an IANA zone such as ``Asia/Shanghai``; ``strip_leading_zeros``:
    drop leading zeros from all-digit customer ids.
    """

    encoding: str | None = None
    amount_unit: str = "yuan"
    timezone: str | None = None
    strip_leading_zeros: bool = False


def read_options(value=None, **overrides) -> ReadOptions:
    """``ReadOptions`` from a mapping (a notebook's ``read_options`` parameter, the config's
    ``reading:``), a ``ReadOptions`` or None, with ``overrides`` (the command line's flags, None =
    not given); unknown keys and values are a :class:`ParameterError` naming the choices."""
    if isinstance(value, ReadOptions):
        base = dict(value.__dict__)
    else:
        value = dict(value or {})
        known = set(ReadOptions.__dataclass_fields__)
        unknown = sorted(set(value) - known)
        if unknown:
            raise ParameterError("read_options", f"unknown keys {unknown}", fix=f"use only {sorted(known)}.")
        base = {**ReadOptions().__dict__, **value}
    base.update({k: v for k, v in overrides.items() if v is not None})
    enc = base["encoding"]
    if enc is not None and str(enc).strip() not in ("", "auto"):
        try:
            base["encoding"] = codecs.lookup(str(enc).strip()).name
        except LookupError:
            raise ParameterError("encoding", f"unknown encoding '{enc}'",
                                 fix="use e.g. utf-8, gb18030, gbk, utf-16, or leave it empty to detect.") from None
    else:
        base["encoding"] = None
    unit = str(base["amount_unit"] or "yuan").strip().lower()
    unit = {"元": "yuan", "分": "fen", "cents": "fen", "cent": "fen"}.get(unit, unit)
    if unit not in AMOUNT_UNITS:
        raise ParameterError("amount_unit", f"unknown unit '{base['amount_unit']}'",
                             fix="use yuan (the default) or fen (amounts exported in 分, divided by 100).")
    base["amount_unit"] = unit
    tz = base["timezone"]
    if tz is not None and str(tz).strip():
        import zoneinfo

        try:
            zoneinfo.ZoneInfo(str(tz).strip())
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ParameterError("timezone", f"unknown time zone '{tz}'",
                                 fix="use an IANA name such as Asia/Shanghai or UTC.") from None
        base["timezone"] = str(tz).strip()
    else:
        base["timezone"] = None
    base["strip_leading_zeros"] = _boolean(base["strip_leading_zeros"], "strip_leading_zeros")
    return ReadOptions(**base)


def _boolean(value, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", "", "none"):
        return False
    raise ParameterError(name, f"'{value}' is not true or false", fix="write true or false.")


def connect(memory_limit: str | None = None, threads: int | None = None):
    """A DuckDB connection set up the one way every path uses: times in UTC as a session zone (so a
    typed wall-clock time is never shifted), spilling to the system's temporary folder."""
    import duckdb

    con = duckdb.connect(database=":memory:")
    if memory_limit:
        con.execute(f"SET memory_limit='{memory_limit}'")
    spill = Path(tempfile.gettempdir()) / f"superkit-duckdb-{os.getpid()}"
    con.execute(f"SET temp_directory='{_lit(str(spill))}'")
    # DuckDB's statistics leave NaN out of a Parquet column's min / max and then fold isnan() to
    # false; without this a NaN amount would pass as a number
    con.execute("SET disabled_optimizers = 'statistics_propagation'")
    con.execute("SET TimeZone='UTC'")
    if threads:
        con.execute(f"SET threads={int(threads)}")
    return con


def _lit(text: str) -> str:
    return text.replace("'", "''")


def _q(col: str) -> str:
    return '"' + col.replace('"', '""') + '"'


# --------------------------------------------------------------------------------------------
# Opening a source: encoding, delimiter, header
# --------------------------------------------------------------------------------------------
@dataclass
class CsvLayout:
    """What :func:`sniff_csv` found: ``skip`` title lines (``title_chars`` characters) above the
    header, ``mixed_newlines`` when lines end in more than one way (CRLF and LF)."""

    encoding: str
    delimiter: str
    skip: int
    header: list[str]
    title_chars: int = 0
    mixed_newlines: bool = False


def _decodes(head: bytes, encoding: str) -> bool:
    """True when ``head`` decodes strictly (a multi-byte character cut at the end is allowed)."""
    try:
        codecs.getincrementaldecoder(encoding)(errors="strict").decode(head, final=False)
        return True
    except (UnicodeDecodeError, LookupError):
        return False


def _detect_encoding(head: bytes, forced: str | None, name: str) -> str:
    if forced:
        if not _decodes(head.lstrip(codecs.BOM_UTF8) if forced == "utf-8" else head, forced):
            raise DataError(f"the file is not {forced} text", source=name,
                            fix="leave the encoding empty to detect it, or give the one the export used "
                                "(utf-8, gb18030, utf-16).")
        return forced
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8"
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):    # before UTF-16: FF FE 00 00
        return "utf-32"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if looks_binary(head):
        raise DataError("the file is binary, not CSV text", source=name,
                        fix="save it as CSV (UTF-8) or Parquet; Excel files must be exported to CSV.")
    if _decodes(head, "utf-8"):
        return "utf-8"
    if _decodes(head, "gb18030"):
        return "gb18030"
    raise DataError("text in an encoding that is neither UTF-8 nor GB18030 / GBK", source=name,
                    fix="save it as 'CSV UTF-8' in Excel, or give the encoding (--encoding, or "
                        "reading: {encoding: ...} in the config).")


def read_text(path: Path, encoding: str | None = None) -> tuple[str, str]:
    """A whole text file (a YAML config, plan or catalog) decoded by the same rules as a CSV:
    ``(text, encoding used)``; never with replacement characters."""
    data = Path(path).read_bytes()
    enc = _detect_encoding(data, encoding, str(path))
    try:
        return data.decode("utf-8-sig" if enc == "utf-8" else enc), enc
    except UnicodeDecodeError:
        raise DataError(f"a byte sequence that is not {enc}", source=str(path),
                        fix="save the file as UTF-8 (most editors: Save as, encoding UTF-8).") from None


def _records(text: str, delimiter: str, limit: int = 200) -> list[tuple[int, int, list[str]]]:
    """The first CSV records of ``text`` as ``(start character, start line, fields)``, quotes
    respected (a quoted field may span lines), lines ending in CR, LF or CRLF."""
    pos = {"chars": 0, "lines": 0}

    def lines():   # counted as they are handed out: between records, pos is where the next one starts
        for line in io.StringIO(text, newline=""):
            pos["chars"] += len(line)
            pos["lines"] += 1
            yield line

    out, reader = [], csv.reader(lines(), delimiter=delimiter, quotechar='"')
    while len(out) < limit:
        start = (pos["chars"], pos["lines"])
        try:
            fields = next(reader)
        except (StopIteration, csv.Error):
            break
        out.append((*start, fields))
    return out


def sniff_csv(path: Path, forced_encoding: str | None = None, name: str | None = None) -> CsvLayout:
    """The encoding, delimiter, header line and column names of a CSV file (module docstring);
    ``name``: how the file is named in messages (the user's file, for a decompressed copy)."""
    name = name or str(path)
    with open(path, "rb") as fh:
        head = fh.read(_SNIFF_BYTES)
    encoding = _detect_encoding(head, forced_encoding, name)
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=False).lstrip("\ufeff")
    if len(head) == _SNIFF_BYTES:
        text = text[:max(text.rfind("\n") + 1, 0)]      # the last line may be cut
    if not text.strip():
        raise DataError("the file has no header row or data", source=name,
                        fix="export the table again with a header row.")
    # the delimiter that splits the most records into the same number (> 1) of fields; title lines
    # (one field) do not vote
    best, best_score, records = ",", (0.0, 1), None
    for d in _DELIMITERS:
        recs = [r for r in _records(text, d) if any(f.strip() for f in r[2])]
        counts = [len(r[2]) for r in recs]
        multi = [c for c in counts if c > 1]
        if records is None:
            records = recs
        if multi:
            mode = max(set(multi), key=lambda c: (multi.count(c), c))
            score = (multi.count(mode) / len(counts), mode)
            if score > best_score:
                best, best_score, records = d, score, recs
    # the header: the first record with as many named fields as the data rows fill, give or take
    # one (a title such as "商户号,1600000001" above five columns is not it)
    filled = [sum(1 for f in r[2] if f.strip()) for r in records]
    usual = max(set(filled), key=lambda c: (filled.count(c), c)) if filled else 1
    at = next((k for k, n in enumerate(filled) if n >= max(2, usual - 1)), 0) if usual > 1 else 0
    chars, skip, fields = records[at] if records else (0, 0, [])
    header = [re.sub(r"\s+", " ", f).strip().lstrip("\ufeff") for f in fields]
    while header and not header[-1]:
        header.pop()
    seen: dict[str, int] = {}
    for i, col in enumerate(header):
        key = col.lower()
        if key and key in seen:
            raise DataError(f"two columns are named '{col}' (columns {seen[key] + 1} and {i + 1})", source=name,
                            column=col, fix="rename or drop one of them in the export; which one holds the "
                                            "values you mean cannot be guessed.")
        seen[key] = i
    header = [c or f"_column{i + 1}" for i, c in enumerate(header)]
    endings = [bool(re.search(p, text)) for p in ("\r\n", "(?<!\r)\n", "\r(?!\n)")]
    return CsvLayout(encoding, best, skip, header, chars, sum(endings) > 1)


def _rewrite(path: Path, layout: CsvLayout, name: str) -> Path:
    """A temporary UTF-8 copy of ``path`` as DuckDB reads it: decoded strictly from the layout's
    encoding (the line of a bad byte named), without the title lines above the header, and with
    every line ending in LF when they were mixed. Streamed: the file may be larger than memory."""
    fd, tmp = tempfile.mkstemp(prefix="superkit-utf8-", suffix=".csv")
    dec = codecs.getincrementaldecoder(layout.encoding)(errors="strict")
    lines, drop, first, carry = 1, layout.title_chars, True, ""
    try:
        with open(path, "rb") as src, os.fdopen(fd, "w", encoding="utf-8", newline="") as dst:
            while True:
                chunk = src.read(1 << 20)
                try:
                    text = dec.decode(chunk, final=not chunk)
                except UnicodeDecodeError as exc:
                    where = lines + chunk[:exc.start].count(b"\n")
                    raise DataError(f"a byte sequence that is not {layout.encoding} near line {where}",
                                    source=name, fix="the file mixes encodings; export it again as 'CSV UTF-8', "
                                                     "or give the encoding (--encoding).") from None
                if first:
                    text, first = text.lstrip("\ufeff"), False
                if drop:
                    cut = min(drop, len(text))
                    text, drop = text[cut:], drop - cut
                if layout.mixed_newlines:
                    text = carry + text
                    carry = "\r" if text.endswith("\r") and chunk else ""
                    text = (text[:-1] if carry else text).replace("\r\n", "\n").replace("\r", "\n")
                dst.write(text)
                lines += chunk.count(b"\n")
                if not chunk:
                    break
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


@dataclass
class Opened:
    """A source opened as a DuckDB view: its columns as written and their DuckDB types."""

    view: str
    name: str
    columns: list[str]
    types: dict[str, str]
    notes: list[str] = field(default_factory=list)


_NUMERIC = ("DOUBLE", "FLOAT", "INTEGER", "BIGINT", "SMALLINT", "TINYINT", "HUGEINT", "REAL", "DECIMAL",
            "UINTEGER", "UBIGINT", "USMALLINT", "UTINYINT")


def _frame_for_duckdb(df):
    """A copy of a DataFrame DuckDB can scan: text as Python strings or None; every other type as it
    is (a time-zone-aware column is an instant, read by the same rule as a Parquet one)."""
    import pandas as pd

    out = {}
    for i, col in enumerate(df.columns):
        s = df.iloc[:, i]
        if isinstance(s.dtype, (pd.CategoricalDtype, pd.PeriodDtype, pd.IntervalDtype)) or s.dtype == object \
                or pd.api.types.is_string_dtype(s):
            text = s.astype("string")
            s = text.astype(object).where(text.notna(), None)
        elif pd.api.types.is_datetime64_any_dtype(s) and not isinstance(s.dtype, pd.DatetimeTZDtype):
            s = pd.Series(s.to_numpy(dtype="datetime64[ns]"))
        out[str(col)] = s.to_numpy() if not isinstance(s.dtype, pd.DatetimeTZDtype) else s.reset_index(drop=True)
    return pd.DataFrame(out, index=pd.RangeIndex(len(df)))


class Reader:
    """One DuckDB connection that opens sources, parses their columns and checks them by the rules.

    Temporary files (UTF-8 copies) live as long as the reader; use it as a context manager."""

    def __init__(self, options: ReadOptions | None = None, con=None, memory_limit: str | None = None):
        self.options = options or ReadOptions()
        self.memory_limit = memory_limit
        self.con = con if con is not None else connect(memory_limit)
        self._own = con is None
        self._tmp: list[Path] = []
        self._n = 0
        self._lines_cut: dict[str, int] = {}   # file -> title lines cut off its copy (for line numbers)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        if self._own:
            self.con.close()
        for p in self._tmp:
            p.unlink(missing_ok=True)
        self._tmp.clear()

    def exec(self, sql: str):
        return self.con.execute(sql)

    def _name(self, stem: str) -> str:
        self._n += 1
        return f"_{stem}_{self._n}"

    # -- opening ---------------------------------------------------------------------------
    def open(self, source, table: str) -> Opened:
        """A view over ``source`` (a path or a DataFrame), its columns as written."""
        from superkit.data.summary import is_frame

        view = self._name(table)
        if is_frame(source):
            frame = _frame_for_duckdb(source)
            cols = [str(c) for c in source.columns]
            dup = sorted(k for k, n in Counter(c.strip().lower() for c in cols).items() if n > 1)
            if dup:
                raise DataError(f"two columns are named '{dup[0]}'", source="the DataFrame", column=dup[0],
                                fix="keep one column per name.")
            self.con.register(view + "_df", frame)
            self.exec(f"CREATE TEMP VIEW {view} AS SELECT * FROM {view}_df")
            opened = Opened(view, "the DataFrame", cols, {})
        else:
            opened = self._open_file(Path(source), table, view)
        described = self.exec(f"DESCRIBE SELECT * FROM {view}").fetchall()
        opened.types = {r[0]: str(r[1]).upper() for r in described}
        return opened

    def _open_file(self, path: Path, table: str, view: str) -> Opened:
        name = str(path)
        is_parquet, _ = rules.check_file(path, table)
        notes: list[str] = []
        if is_parquet:
            src = f"read_parquet('{_lit(name)}')"
            try:
                cols = [r[0] for r in self.exec(f"DESCRIBE SELECT * FROM {src}").fetchall()]
            except Exception as exc:  # duckdb raises its own exception types
                raise rules.unreadable(name, str(exc).splitlines()[0]) from None
            self.exec(f"CREATE TEMP VIEW {view} AS SELECT * FROM {src}")
            return Opened(view, name, cols, {}, notes=notes)
        if "".join(path.suffixes).lower().endswith(".gz"):
            import gzip

            fd, tmp = tempfile.mkstemp(prefix="superkit-gunzip-", suffix=".csv")
            self._tmp.append(Path(tmp))
            try:
                with gzip.open(path, "rb") as src_fh, os.fdopen(fd, "wb") as dst:
                    while chunk := src_fh.read(1 << 20):
                        dst.write(chunk)
            except (OSError, EOFError) as exc:
                raise rules.unreadable(name, f"gzip: {exc}") from None
            path = Path(tmp)
        layout = sniff_csv(path, self.options.encoding, name)
        if layout.encoding != "utf-8":
            notes.append(i18n.text("data", "note_encoding", "en", encoding=layout.encoding.upper()))
        if layout.skip:
            notes.append(i18n.text("data", "note_skipped_many" if layout.skip > 1 else "note_skipped_one", "en",
                                   n=layout.skip))
        if layout.mixed_newlines:
            notes.append(i18n.text("data", "note_newlines", "en"))
        if layout.encoding != "utf-8" or layout.title_chars or layout.mixed_newlines:
            path = _rewrite(path, layout, name)
            self._tmp.append(path)
            self._lines_cut[name] = layout.skip
        delim = {"\t": "\\t"}.get(layout.delimiter, layout.delimiter)
        if layout.delimiter != ",":
            notes.append(i18n.text("data", "note_tab", "en") if layout.delimiter == chr(9)
                         else i18n.text("data", "note_delimiter", "en", delimiter=layout.delimiter))
        cols_sql = "{" + ", ".join(f"'{_lit(c)}': 'VARCHAR'" for c in layout.header) + "}"
        src = (f"read_csv('{_lit(str(path))}', columns={cols_sql}, header=true, "
               f"delim='{_lit(delim)}', quote='\"', escape='\"', auto_detect=false)")
        self.exec(f"CREATE TEMP VIEW {view} AS SELECT * FROM {src}")
        return Opened(view, name, list(layout.header), {}, notes=notes)

    # -- running ---------------------------------------------------------------------------
    def query(self, sql: str, name: str, arrow: bool = False):
        """Run ``sql`` (``arrow``: and return its rows as an Arrow table, the fast way into pandas);
        a CSV row that cannot be read, or DuckDB out of memory, is one clear error."""
        import duckdb

        try:
            if not arrow:
                return self.exec(sql)
            import warnings

            with warnings.catch_warnings():   # "an extra copy of the rows": still far faster than .df()
                warnings.simplefilter("ignore", UserWarning)
                return self.exec(sql).to_arrow_table()
        except duckdb.OutOfMemoryException:
            limit = f" (limit {self.memory_limit})" if self.memory_limit else ""
            raise EngineError(f"DuckDB ran out of memory{limit} while reading or summarising. Remedy: raise "
                              "the limit (e.g. --memory-limit 8GB, below the machine's memory), or free disk "
                              f"space in the temporary folder {tempfile.gettempdir()} that DuckDB spills to.") from None
        except duckdb.InvalidInputException as exc:
            raise _csv_error(name, str(exc), self._lines_cut.get(name, 0)) from None
        except duckdb.IOException as exc:
            raise EngineError(f"DuckDB could not read or write a file ({name}): {str(exc).splitlines()[0][:200]}. "
                              "Remedy: check the paths, permissions and free disk space.") from None

    # -- parsing ---------------------------------------------------------------------------
    def parse(self, opened: Opened, table: str, columns: Mapping[str, tuple[str, str]],
              observation_end=None) -> "Parsed":
        """A view of ``columns`` (ours -> (theirs, kind)) parsed by the rules, with a ``<ours>__raw``
        text and ``<ours>__bad`` flag per column; then the checks of every kind (blank ids, dates
        and numbers that cannot be read, years out of range, mixed UTC offsets)."""
        parsed = Parsed(self, opened, table, columns, observation_end)
        parsed.check()
        return parsed


def _csv_error(name: str, text: str, lines_cut: int = 0) -> DataError:
    """DuckDB's CSV error as one message: what is wrong, near which line of the user's file (DuckDB
    counts a quoted field spanning lines as one; ``lines_cut`` title lines were cut off the copy it
    read), the line as written, and the fix."""
    line = re.search(r"CSV Error on Line: (\d+)", text)
    where = f" near line {int(line.group(1)) + lines_cut}" if line else ""
    original = re.search(r"Original Line: (.*)", text)
    examples = [original.group(1)[:120]] if original else None
    if "Invalid unicode" in text:
        return DataError(f"a byte sequence that is not UTF-8{where}", source=name,
                         fix="the file mixes encodings; export it again as 'CSV UTF-8', or give the "
                             "encoding (--encoding gb18030).")
    found = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", text)
    if found:
        return DataError(f"a row with {found.group(2)} fields where the header has {found.group(1)}{where}",
                         source=name, examples=examples, fix="fix that row in the export (an unquoted delimiter inside a field, "
                                          "or a cut-off line), then read it again.")
    if "quote" in text.lower():
        return DataError(f"a quoted field that never ends{where}", source=name, examples=examples,
                         fix="fix the quotes of that row (a stray \" inside a field), then read it again.")
    return rules.unreadable(name, text.splitlines()[0])


# --------------------------------------------------------------------------------------------
# The expressions, one per kind
# --------------------------------------------------------------------------------------------
# spaces, tabs, line breaks, the full-width and no-break spaces, zero-width marks and a stray BOM at either end
_WS = (r"^[\s\x{3000}\x{00a0}\x{feff}\x{200b}\x{200c}\x{200d}\x{2060}]+"
       r"|[\s\x{3000}\x{00a0}\x{feff}\x{200b}\x{200c}\x{200d}\x{2060}]+$")


def _text(col: str, p: str, placeholders: bool = True) -> tuple[list[dict], str]:
    """``(stages, column)``: trimmed text (also full-width and no-break spaces and zero-width marks;
    Excel's ``="000010"`` unwrapped); empty cells -> NULL, and with ``placeholders`` the placeholders
    too. Text that needs no trimming (most) skips the regular expressions."""
    name = p + "t"
    raw = f"CAST({col} AS VARCHAR)"
    trimmed = f"regexp_replace(regexp_replace({raw}, '{_WS}', '', 'g'), '^=\"(.*)\"$', '\\1')"
    dirty = f"regexp_matches({raw}, '{_WS}|^=\"')"
    holders = ", ".join(f"'{_lit(p)}'" for p in ("",) + (PLACEHOLDERS if placeholders else ()))
    longest = max(len(p) for p in PLACEHOLDERS)
    stages = [{name + "0": f"(CASE WHEN {dirty} THEN {trimmed} ELSE {raw} END)"}]
    t0 = _q(name + "0")
    stages.append({name: f"(CASE WHEN length({t0}) <= {longest} AND lower({t0}) IN ({holders}) THEN NULL ELSE {t0} END)"})
    return stages, _q(name)


def id_expr(col: str, dtype: str, strip_zeros: bool, p: str, placeholders: bool = True) -> tuple[list[dict], str, str]:
    """``(stages, id text, bad flag)`` for an id column of DuckDB type ``dtype``; ``placeholders``:
    ``#N/A``, ``NULL`` ... are missing (customer ids), not values (a survey's alternative ``none``)."""
    stages: list[dict] = []
    if dtype.startswith(("DOUBLE", "FLOAT", "REAL", "DECIMAL")):
        # a float column: 10.0 is the id 10; 123.5 is no id (a number format mangled it)
        val = (f"(CASE WHEN isnan({col}) OR isinf({col}) THEN NULL WHEN {col} = trunc({col}) "
               f"THEN CAST(CAST({col} AS HUGEINT) AS VARCHAR) END)")
        bad = f"coalesce(NOT isnan({col}) AND NOT isinf({col}) AND {col} <> trunc({col}), false)"
    elif dtype.startswith(_NUMERIC):
        val, bad = f"CAST({col} AS VARCHAR)", "false"
    else:
        stages, t = _text(col, p, placeholders)
        val = f"regexp_replace({t}, '^([0-9]+)\\.0+$', '\\1')"
        bad = f"coalesce(regexp_full_match({t}, '[0-9]+(\\.[0-9]+)?[eE]\\+?[0-9]+'), false)"
    if strip_zeros:
        val = f"regexp_replace({val}, '^0+([0-9]+)$', '\\1')"
    return stages, val, bad


def id_select(relation: str, column: str, strip_zeros: bool) -> str:
    """``relation`` with the customer id read from its text column ``column`` by the id rules, as
    ``_id`` (NULL when blank or a placeholder) and ``_bad`` (scientific notation): for ids read once
    per distinct text instead of once per row."""
    stages, val, bad = id_expr(_q(column), "VARCHAR", strip_zeros, "_id__")
    rel = f"SELECT * FROM {relation}"
    for stage in stages:
        rel = f"SELECT *, {', '.join(f'{e} AS {_q(n)}' for n, e in stage.items())} FROM ({rel})"
    return f"SELECT *, {val} AS _id, {bad} AS _bad FROM ({rel})"


_ISO = "[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]+)?)?)?"


def time_exprs(col: str, dtype: str, timezone: str | None, p: str) -> tuple[list[dict], dict]:
    """SQL for a time column, in stages (each stage's expressions read the previous stage's
    columns, named with the prefix ``p``, so no expression is repeated inside another): returns
    ``(stages, final)`` with ``final`` holding ``value`` (TIMESTAMP, wall clock), ``bad`` (written
    but unreadable), ``offset`` (the UTC offset written, as +08:00, or NULL) and ``instant``
    (typed with a zone)."""
    if dtype.startswith("TIMESTAMP WITH TIME ZONE") or dtype == "TIMESTAMPTZ":
        value = f"timezone('{_lit(timezone)}', {col})" if timezone else f"CAST({col} AS TIMESTAMP)"
        return [], {"value": value, "bad": "false", "offset": "CAST(NULL AS VARCHAR)", "instant": f"{col} IS NOT NULL"}
    if dtype.startswith("TIMESTAMP") or dtype == "DATE":
        return [], {"value": f"CAST({col} AS TIMESTAMP)", "bad": "false", "offset": "CAST(NULL AS VARCHAR)",
                    "instant": "false"}
    text_stages, t = _text(col, p)
    s, clock, bare, wall, off = (_q(p + x) for x in ("s", "clock", "bare", "wall", "off"))
    # 2025年1月5日 -> 2025-1-5; 2025/1/5, 2025.1.5 -> 2025-1-5; 20250105[143000] -> ISO;
    # 14时05分[30秒] -> 14:05[:30]. Plain ISO text (most files) skips all of it.
    n = f"regexp_replace({t}, '^([0-9]{{4}})\\s*年\\s*([0-9]{{1,2}})\\s*月\\s*([0-9]{{1,2}})\\s*[日号]?', '\\1-\\2-\\3')"
    n = f"regexp_replace({n}, '^([0-9]{{4}})[/.]([0-9]{{1,2}})[/.]([0-9]{{1,2}})', '\\1-\\2-\\3')"
    n = (f"regexp_replace({n}, '^([0-9]{{4}})([0-9]{{2}})([0-9]{{2}})(?:[ T]?([0-9]{{2}})([0-9]{{2}})([0-9]{{2}}))?$', "
         f"'\\1-\\2-\\3 \\4:\\5:\\6')")
    n = f"regexp_replace({n}, ' ::$', '')"
    n = (f"regexp_replace({n}, '([0-9]{{1,2}})\\s*[时点]\\s*([0-9]{{1,2}})\\s*分(?:\\s*([0-9]{{1,2}})\\s*秒)?', "
         f"'\\1:\\2:\\3')")
    n = f"regexp_replace({n}, ':$', '')"
    marks = "(上午|下午|晚上|傍晚|凌晨|早上|中午|(?i:am)|(?i:pm))"
    off_re = "([0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\\.[0-9]+)?)?)[ ]?(Z|[+-][0-9]{2}(?::?[0-9]{2})?)$"
    shape = "[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([ T][0-9]{1,2}:[0-9]{1,2}(:[0-9]{1,2}(\\.[0-9]+)?)?)?"
    iso = _q(p + "iso")

    def slow(expr: str, fast: str = "false") -> str:     # only for text that is not plain ISO
        return f"(CASE WHEN {iso} THEN {fast} ELSE {expr} END)"

    stages = text_stages + [
        {p + "iso": f"coalesce(regexp_full_match({t}, '{_ISO}'), false)"},
        {p + "s": slow(n, t)},
        {p + "pm": slow(f"coalesce(regexp_matches({s}, '(下午|晚上|傍晚|(?i:(^|[^a-z])pm([^a-z]|$)))'), false)"),
         p + "am": slow(f"coalesce(regexp_matches({s}, '(上午|凌晨|早上|(?i:(^|[^a-z])am([^a-z]|$)))'), false)"),
         p + "night": slow(f"coalesce(regexp_matches({s}, '晚上'), false)"),
         p + "noon": slow(f"coalesce(regexp_matches({s}, '中午'), false)"),
         p + "clock": slow(f"regexp_replace(trim(regexp_replace({s}, '{marks}', ' ', 'g')), '\\s+', ' ', 'g')", s)},
        {p + "off": slow(f"nullif(regexp_extract({clock}, '{off_re}', 2), '')", "CAST(NULL AS VARCHAR)"),
         p + "bare": slow(f"regexp_replace({clock}, '{off_re}', '\\1')", clock)},
        {p + "wall": slow(f"(CASE WHEN regexp_full_match({bare}, '{shape}') THEN TRY_CAST({bare} AS TIMESTAMP) END)",
                          f"TRY_CAST({t} AS TIMESTAMP)"),
         p + "offset": (f"(CASE WHEN {off} = 'Z' THEN '+00:00' ELSE regexp_replace(rpad(replace({off}, ':', ''), 5, "
                        f"'0'), '^([+-][0-9]{{2}})([0-9]{{2}})$', '\\1:\\2') END)")},
    ]
    pm, am, noon, offset = (_q(p + x) for x in ("pm", "am", "noon", "offset"))
    shifted = (f"(CASE WHEN {pm} AND hour({wall}) < 12 THEN {wall} + INTERVAL 12 HOUR "
               f"WHEN {am} AND hour({wall}) = 12 THEN {wall} - INTERVAL 12 HOUR "
               f"WHEN {noon} AND hour({wall}) < 11 THEN {wall} + INTERVAL 12 HOUR ELSE {wall} END)")
    if timezone:
        value = (f"(CASE WHEN {offset} IS NULL THEN {shifted} ELSE timezone('{_lit(timezone)}', "
                 f"CAST(strftime({shifted}, '%Y-%m-%d %H:%M:%S.%f') || {offset} AS TIMESTAMPTZ)) END)")
    else:
        value = shifted
    # 晚上12:30 may be noon or midnight; an offset beyond +-14:00 or 59 minutes is no offset
    night, valid = _q(p + "night"), "'^[+-](0[0-9]|1[0-4]):[0-5][0-9]$'"
    bad = (f"({t} IS NOT NULL AND ({wall} IS NULL OR ({night} AND hour({wall}) = 12) "
           f"OR ({offset} IS NOT NULL AND NOT regexp_full_match({offset}, {valid}))))")
    return stages, {"value": value, "bad": bad, "offset": offset, "instant": "false"}


def number_expr(col: str, dtype: str, p: str, share: bool = False) -> tuple[list[dict], str, str]:
    """``(stages, value, bad)`` for a number: ``¥1,234.50``, ``12元``, ``(12.50)`` as -12.5; with
    ``share``, ``5%`` is 0.05 (stages as in :func:`time_exprs`)."""
    if dtype.startswith(("FLOAT", "REAL")):    # float32: 10.1 as written, not 10.100000381
        col = f"CAST(CAST({col} AS VARCHAR) AS DOUBLE)"
    if dtype.startswith(_NUMERIC):
        return [], f"(CASE WHEN isnan(CAST({col} AS DOUBLE)) THEN NULL ELSE CAST({col} AS DOUBLE) END)", "false"
    if dtype == "BOOLEAN":
        return [], "CAST(NULL AS DOUBLE)", f"{col} IS NOT NULL"
    text_stages, t = _text(col, p)
    s, c = _q(p + "s"), _q(p + "c")
    n = f"regexp_replace({t}, '^\\((.*)\\)$', '-\\1')"
    n = f"regexp_replace({n}, '^([+-]?)\\s*(?:[¥￥]|RMB|CNY)\\s*', '\\1')"     # yuan only: one currency
    n = f"regexp_replace({n}, '\\s*(?:元|RMB|CNY)$', '')"
    if share:
        n = f"regexp_replace({n}, '\\s*%$', '')"
    plain = "[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+)?"
    stages = text_stages + [
        {p + "s": f"(CASE WHEN regexp_full_match({t}, '{plain}') THEN {t} ELSE {n} END)"},
        {p + "c": (f"(CASE WHEN regexp_full_match({s}, '[+-]?[0-9]{{1,3}}(,[0-9]{{3}})+(\\.[0-9]*)?') "
                   f"THEN replace({s}, ',', '') ELSE {s} END)")},
    ]
    ok = f"coalesce(regexp_full_match({c}, '{plain}'), false)"
    value = f"(CASE WHEN {ok} THEN CAST({c} AS DOUBLE) END)"
    if share:
        value = f"(CASE WHEN ends_with({t}, '%') THEN {value} / 100.0 ELSE {value} END)"
    return stages, value, f"({t} IS NOT NULL AND NOT {ok})"


# --------------------------------------------------------------------------------------------
# Mapping the user's columns to ours
# --------------------------------------------------------------------------------------------
def map_columns(columns: list[str], table: str, mapping: Mapping[str, str] | None, name: str) -> dict[str, str]:
    """ours -> theirs for the columns present (required ones checked); the user's ``mapping`` first,
    then our own names in any case and with surrounding spaces. Attribute tables keep every other
    column under its own name."""
    spec = TABLES[table]
    mapping = dict(mapping or {})
    known = list(spec["required"]) + list(spec["optional"])
    unknown = [k for k in mapping if k not in known]
    if unknown:
        raise DataError(f"the column mapping names {unknown}, which are not {table} columns",
                        source=name, fix=f"map only these columns: {sorted(known)}.")
    missing_theirs = [v for v in mapping.values() if v not in columns]
    if missing_theirs:
        raise DataError(f"the column mapping points at {missing_theirs}, which the file does not have",
                        source=name, fix=f"the file's columns are {list(columns)}; correct the mapping.")
    out: dict[str, str] = dict(mapping)
    taken = set(mapping.values())
    for col in columns:
        key = str(col).strip().lower()
        if key in known and col not in taken and key not in mapping:   # the user's mapping wins
            if key in out:
                raise DataError(f"column {[key]} appears more than once", source=name,
                                fix="keep one column per name (check the mapping).")
            out[key] = col
    missing = [c for c in spec["required"] if c not in out]
    if missing:
        raise rules.missing_columns(missing, list(columns), name)
    ordered = {c: out[c] for c in known if c in out}
    if table in ATTRIBUTE_TABLES:
        for col in columns:
            if col not in ordered.values() and not col.startswith("_column"):
                ordered[str(col)] = col
    return ordered


def _check_type(dtype: str, kind: str, source: str, column: str) -> None:
    """A typed column (Parquet, a DataFrame) whose type cannot hold the kind: refused before any row
    is read (lists, structures, bytes anywhere; true/false, dates and times as ids)."""
    nested = dtype.endswith("]") or dtype.startswith(("STRUCT", "MAP", "UNION", "BLOB"))
    not_an_id = kind in ("id", "key") and dtype.startswith(("BOOLEAN", "DATE", "TIME", "INTERVAL"))
    if nested or not_an_id:
        raise DataError(f"holds {dtype.lower()} values, not {'ids' if kind in ('id', 'key') else kind + 's'}",
                        source=source, column=column,
                        fix="check the column mapping: it may point at the wrong column.")


# --------------------------------------------------------------------------------------------
# Parsing and the checks of every kind
# --------------------------------------------------------------------------------------------
# id: a customer id (placeholders are missing; leading zeros optionally stripped); key: any other id
KINDS = ("id", "key", "time", "end_time", "amount", "number", "share", "text")


class Parsed:
    """One table parsed by the rules (see :meth:`Reader.parse`). ``view``: one column per contract
    column, and for each a ``<ours>__raw`` text (for examples in messages) and helper flags; it is
    computed once into the table ``data`` (without the raw texts), which the checks and every later
    step read -- DuckDB spills it to disk when it outgrows memory."""

    def __init__(self, reader: Reader, opened: Opened, table: str, columns: Mapping[str, tuple[str, str]],
                 observation_end=None, materialize: bool = True):
        self.reader, self.table = reader, table
        self.name = opened.name
        self.notes = list(opened.notes)
        self.warnings: list[str] = []
        self.end = parse_date(observation_end, "observation_end")
        self.kinds: dict[str, str] = {}
        self.theirs: dict[str, str] = {}
        opt = reader.options
        stages: list[list[str]] = []
        sel = []

        def staged(parts: list[dict]) -> None:
            for k, part in enumerate(parts):
                while len(stages) <= k:
                    stages.append([])
                stages[k] += [f"{e} AS {_q(n)}" for n, e in part.items()]

        for ours, (theirs, kind) in columns.items():
            if kind not in KINDS:
                raise ParameterError("kind", f"unknown column kind '{kind}'", fix=f"use one of {KINDS}.")
            col, dtype = _q(theirs), opened.types.get(theirs, "VARCHAR")
            _check_type(dtype, kind, opened.name, theirs)
            self.kinds[ours], self.theirs[ours] = kind, theirs
            raw = f"CAST({col} AS VARCHAR)"
            p = f"{ours}__"
            if kind in ("id", "key"):
                parts, val, bad = id_expr(col, dtype, opt.strip_leading_zeros and kind == "id", p, kind == "id")
                staged(parts)
                held = f"({val} IS NULL AND trim(coalesce({raw}, '')) <> '')" if dtype == "VARCHAR" else "false"
                sel.append(f"{held} AS {_q(p + 'held')}")     # a placeholder written as text
            elif kind in ("time", "end_time"):
                parts, e = time_exprs(col, dtype, opt.timezone, p)
                staged(parts)
                val, bad = e["value"], e["bad"]
                sel += [f"{e['offset']} AS {_q(p + 'offset')}", f"{e['instant']} AS {_q(p + 'instant')}"]
                if kind == "end_time":
                    sel.append(f"{val} AS {_q(p + 'written')}")
                    later = f"year({val}) >= {NO_END_YEAR}"
                    if self.end is not None:
                        later += f" OR {val} >= TIMESTAMP '{rules.end_limit(self.end)}'"
                    val = f"(CASE WHEN {later} THEN NULL ELSE {val} END)"
            elif kind in ("amount", "number", "share"):
                parts, val, bad = number_expr(col, dtype, p, share=kind == "share")
                staged(parts)
                if kind == "amount" and AMOUNT_UNITS[opt.amount_unit] != 1:
                    val = f"({val} / {AMOUNT_UNITS[opt.amount_unit]}.0)"
            else:
                parts, val = _text(col, p)
                staged(parts)
                bad = "false"
            sel += [f"{val} AS {_q(ours)}", f"{bad} AS {_q(p + 'bad')}", f"{raw} AS {_q(p + 'raw')}"]
        # the columns as written, then each stage on top of the one before, then the parsed columns
        rel = f"SELECT * FROM {opened.view}"
        for stage in stages:
            rel = f"SELECT *, {', '.join(stage)} FROM ({rel})"
        self.view = reader._name(f"{table}_parsed")
        self.query(f"CREATE TEMP VIEW {self.view} AS SELECT {', '.join(sel)} FROM ({rel})")
        # parsed once: the checks and every later step read this table (DuckDB spills it to disk when
        # it outgrows memory); only a failing check goes back to the view, for the text as written
        self.order = ""          # the table keeps the source's row order (DuckDB preserves insertion order)
        if not materialize:      # a caller that checks and uses the rows in one pass reads the view itself
            self.data = self.view
            return
        self.data = reader._name(f"{table}_data")
        raws = ", ".join(_q(f"{o}__raw") for o in self.kinds)
        self.query(f"CREATE TEMP TABLE {self.data} AS SELECT * EXCLUDE ({raws}) FROM {self.view}")

    # -- helpers -----------------------------------------------------------------------------
    def query(self, sql: str):
        return self.reader.query(sql, self.name)

    def examples(self, cond: str, col: str, n: int = 3) -> list:
        """Up to ``n`` values of ``col`` where ``cond`` holds, the smallest first: the same examples on
        every path and every run (a plain LIMIT would take whichever rows a thread met first)."""
        return [r[0] for r in self.query(f"SELECT DISTINCT {_q(col)} FROM {self.view} WHERE {cond} "
                                         f"ORDER BY {_q(col)} LIMIT {n}").fetchall()]

    def counts(self, conditions: Mapping[str, str]) -> dict[str, int]:
        """Rows meeting each condition, in one pass over the data."""
        if not conditions:
            return {}
        sel = ", ".join(f"COUNT(*) FILTER (WHERE {c})" for c in conditions.values())
        row = self.query(f"SELECT {sel} FROM {self.data}").fetchone()
        return {k: int(v or 0) for k, v in zip(conditions, row)}

    # -- the checks of every kind ------------------------------------------------------------
    def conditions(self) -> dict[str, str]:
        """The row conditions the checks count, by ``<column>.<check>`` (``rows``: every row)."""
        cond = {"rows": "true"}
        for ours, kind in self.kinds.items():
            c, raw, bad = _q(ours), _q(ours + "__raw"), _q(ours + "__bad")
            cond[f"{ours}.bad"] = bad
            if kind in ("id", "key"):
                cond[f"{ours}.blank"] = f"{c} IS NULL"
                cond[f"{ours}.holders"] = _q(ours + "__held")
            elif kind in ("time", "end_time"):
                v = _q(ours + "__written") if kind == "end_time" else c
                high = f"year({v}) > {MAX_YEAR}" + (f" AND year({v}) < {NO_END_YEAR}" if kind == "end_time" else "")
                cond[f"{ours}.years"] = f"{v} IS NOT NULL AND (year({v}) < {MIN_YEAR} OR ({high}))"
                cond[f"{ours}.offset"] = f"{_q(ours + '__offset')} IS NOT NULL"
                cond[f"{ours}.instant"] = _q(ours + "__instant")
                if kind == "end_time":
                    cond[f"{ours}.never"] = f"{v} IS NOT NULL AND year({v}) >= {NO_END_YEAR}"
                    cond[f"{ours}.censored"] = f"{v} IS NOT NULL AND {c} IS NULL"
            elif kind in ("amount", "number", "share"):
                cond[f"{ours}.inf"] = f"isinf({c})"
        return cond

    def check(self) -> None:
        """Every column's checks by its kind, in a fixed order, in one pass (examples only on failure)."""
        cond = self.conditions()
        n = self.counts(cond)
        if n["rows"] == 0:
            raise rules.no_rows(self.table, self.name)
        for ours, kind in self.kinds.items():
            theirs, raw, bad = self.theirs[ours], ours + "__raw", _q(ours + "__bad")
            if kind in ("id", "key"):
                if n[f"{ours}.bad"]:
                    raise rules.scientific_ids(self.name, theirs, n[f"{ours}.bad"], self.examples(bad, raw))
                if n[f"{ours}.blank"]:
                    raise rules.blank_ids(self.name, theirs, n[f"{ours}.blank"], n[f"{ours}.holders"],
                                          self.examples(_q(ours + "__held"), raw) if n[f"{ours}.holders"] else [])
            elif kind in ("time", "end_time"):
                if n[f"{ours}.bad"]:
                    raise rules.unreadable_dates(self.name, theirs, n[f"{ours}.bad"], self.examples(bad, raw))
                self._check_zones(ours, n[f"{ours}.offset"], n[f"{ours}.instant"])
                if n[f"{ours}.years"]:
                    raise rules.years_out_of_range(self.name, theirs, n[f"{ours}.years"], MIN_YEAR, MAX_YEAR,
                                                   self.examples(cond[f"{ours}.years"], raw))
                if kind == "end_time" and n[f"{ours}.censored"]:
                    never, total = n[f"{ours}.never"], n[f"{ours}.censored"]
                    key = "note_running_" + ("both" if never and total - never else "never" if never else "after")
                    self.notes.append(i18n.text("data", key, "en", column=theirs, total=f"{total:,}", never=f"{never:,}",
                                                year=NO_END_YEAR, after=f"{total - never:,}",
                                                end=self.end.date() if self.end is not None else ""))
            elif kind in ("amount", "number", "share"):
                if n[f"{ours}.bad"]:
                    raise rules.not_numbers(self.name, theirs, n[f"{ours}.bad"], self.examples(bad, raw))
                if n[f"{ours}.inf"]:
                    raise rules.infinite_values(self.name, theirs, n[f"{ours}.inf"])

    def _check_zones(self, ours: str, with_offset: int, instants: int) -> None:
        theirs, tz = self.theirs[ours], self.reader.options.timezone
        if tz:
            if with_offset or instants:
                self.notes.append(i18n.text("data", "note_offset_converted", "en", column=theirs,
                                            n=f"{with_offset + instants:,}", timezone=tz))
            return
        if instants:
            raise rules.times_as_instants(self.name, theirs, instants)
        if not with_offset:
            return
        col = _q(ours + "__offset")
        offsets = [r[0] for r in self.query(f"SELECT DISTINCT {col} FROM {self.data} WHERE {col} IS NOT NULL "
                                            "LIMIT 5").fetchall()]
        if len(offsets) > 1:
            raise rules.mixed_offsets(self.name, theirs, with_offset, sorted(offsets))
        self.notes.append(i18n.text("data", "note_offset_dropped_many" if with_offset > 1 else "note_offset_dropped_one",
                                    "en", column=theirs, offset=offsets[0], n=f"{with_offset:,}"))

    # -- table-level rules shared by every path ----------------------------------------------
    def require_values(self, ours: str, what: str = "values") -> None:
        missing = self.counts({"m": f"{_q(ours)} IS NULL"})["m"]
        if missing:
            raise rules.missing_values(self.name, self.theirs[ours], missing, what)

    def late(self, ours: str) -> str:
        """The condition of a time after the observation end (``false`` without an end)."""
        return "false" if self.end is None else f"{_q(ours)} >= TIMESTAMP '{rules.end_limit(self.end)}'"

    def not_after_end(self, ours: str) -> None:
        if self.end is None:
            return
        cond = self.late(ours)
        late = self.counts({"late": cond})["late"]
        if late:
            raise rules.after_observation_end(self.end, self.name, self.theirs[ours], late,
                                              [str(x) for x in self.examples(cond, ours + "__raw")])

    def fetch(self, columns: list[str] | None = None):
        """The parsed columns as a pandas DataFrame in the source's row order: times as
        datetime64[ns], numbers as float, ids and texts as pandas' string dtype (NaN where missing),
        fetched through Arrow (Python string objects for millions of ids would take longer than
        reading the file)."""
        import pandas as pd

        cols = list(columns or self.kinds)
        table = self.reader.query(f"SELECT {', '.join(_q(c) for c in cols)} FROM {self.data}{self.order}",
                                  self.name, arrow=True)
        out = {}
        for c, column in zip(cols, table.columns):
            kind = self.kinds.get(c)
            if kind in ("time", "end_time"):
                out[c] = column.to_numpy().astype("datetime64[ns]")
            elif kind in ("amount", "number", "share"):
                out[c] = column.to_numpy().astype(float)
            else:      # ids and texts: pandas' string dtype (Arrow-backed; NaN where missing)
                out[c] = column.to_pandas()
        return pd.DataFrame(out, index=pd.RangeIndex(table.num_rows))


# --------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------
# each contract column's kind; a column not listed is text ("attribute" columns of choices: numbers)
COLUMN_KINDS = {
    "transactions": {"customer_id": "id", "timestamp": "time", "amount": "amount", "order_id": "text"},
    "members": {"customer_id": "id", "joined_at": "time", "fee": "number", "ended_at": "end_time"},
    "events": {"customer_id": "id", "timestamp": "time"},
    "cohorts": {"cohort": "key", "period": "number", "active": "number"},
    "benefits": {"benefit_id": "key", "cost_per_member": "number", "cost_share_of_spend": "share",
                 "perceived_value": "number", "uptake": "share", "uses_per_year": "number"},
    "choices": {"respondent": "key", "task": "key", "alternative": "key", "chosen": "number", "price": "number",
                "none": "number"},
    "contacts": {"customer_id": "id", "timestamp": "time", "cost": "number"},
}
# required columns whose cells may not be empty (ids are checked by their kind)
_REQUIRED_VALUES = {"time": "dates", "amount": "values", "number": "values", "share": "values"}


def open_table(reader: Reader, source, table: str, mapping: Mapping[str, str] | None = None,
               name: str | None = None) -> tuple[Opened, dict[str, tuple[str, str]]]:
    """``table`` opened, and its columns mapped: ``(opened, ours -> (theirs, kind))``."""
    opened = reader.open(source, table)
    if name:
        opened.name = name
    cols = map_columns(opened.columns, table, mapping, opened.name)
    kinds = COLUMN_KINDS[table]
    other = "number" if table in ATTRIBUTE_TABLES else "text"
    listed = set(TABLES[table]["required"]) | set(TABLES[table]["optional"])
    return opened, {ours: (theirs, kinds.get(ours, "text" if ours in listed else other)) for ours, theirs in cols.items()}


def parse_table(reader: Reader, source, table: str, mapping: Mapping[str, str] | None = None,
                observation_end=None, name: str | None = None) -> Parsed:
    """Open, map and parse ``table`` by the rules; the checks of every kind are made, required
    cells must not be empty. ``name``: how a DataFrame made from a file (YAML) is named."""
    opened, spec = open_table(reader, source, table, mapping, name)
    parsed = reader.parse(opened, table, spec, observation_end)
    for ours in TABLES[table]["required"]:
        what = _REQUIRED_VALUES.get(spec[ours][1])
        if what:
            parsed.require_values(ours, what)
    for ours, (_, kind) in spec.items():
        if kind == "time":
            parsed.not_after_end(ours)
    return parsed


def _order_rules(reader: Reader, p: Parsed) -> None:
    """An order id under two customers is refused; rows repeated exactly under one order id are
    dropped and counted. Only the order ids that repeat are looked at twice (most files have none)."""
    oid, cid = _q("order_id"), _q("customer_id")
    repeated = reader._name("repeated_orders")
    p.query(f"CREATE TEMP TABLE {repeated} AS SELECT {oid} FROM {p.data} WHERE {oid} IS NOT NULL "
            f"GROUP BY {oid} HAVING COUNT(*) > 1")
    in_repeated = f"{oid} IN (SELECT {oid} FROM {repeated})"
    clash = p.query(f"SELECT {oid}, COUNT(*) FROM {p.data} WHERE {in_repeated} GROUP BY {oid} "
                    f"HAVING COUNT(DISTINCT {cid}) > 1 ORDER BY {oid}").fetchall()
    if clash:
        raise rules.order_conflicts(p.name, p.theirs["order_id"], sum(n for _, n in clash), [o for o, _ in clash[:3]])
    cols = ", ".join(_q(c) for c in p.kinds)
    n_rows, n_distinct = p.query(f"SELECT (SELECT COUNT(*) FROM {p.data} WHERE {in_repeated}), "
                                 f"(SELECT COUNT(*) FROM (SELECT DISTINCT {cols} FROM {p.data} WHERE {in_repeated}))"
                                 ).fetchone()
    dropped = int(n_rows) - int(n_distinct)
    if dropped:
        view = reader._name("transactions_unique")
        p.query(f"CREATE TEMP VIEW {view} AS SELECT {cols}, min(rowid) AS _row FROM {p.data} WHERE {in_repeated} "
                f"GROUP BY ALL UNION ALL SELECT {cols}, rowid AS _row FROM {p.data} "
                f"WHERE {oid} IS NULL OR NOT {in_repeated}")
        p.order = " ORDER BY _row"     # the table's rows keep the source's order; a union needs telling
        p.notes.append(i18n.text("data", "note_repeats_many" if dropped > 1 else "note_repeats_one", "en",
                                 n=f"{dropped:,}"))
        p.data = view


def row_problems(p: Parsed) -> list[str]:
    """Every row condition on which :func:`parse_transactions` refuses the transactions, notes
    something or warns, except those of the customer id (which a caller can check once per distinct
    id) and those of order ids: for an engine that checks the rows in the same pass as it uses them
    and reads the source by :func:`parse_transactions` when any of them holds (which then gives the
    message). Kept beside it so that the two change together."""
    conds = [c for k, c in p.conditions().items() if k != "rows" and not k.startswith("customer_id.")]
    conds += [f"{_q(ours)} IS NULL" for ours in TABLES["transactions"]["required"]
              if _REQUIRED_VALUES.get(p.kinds[ours])]
    conds += [p.late(ours) for ours, kind in p.kinds.items() if kind == "time"]
    conds.append(f"abs({_q('amount')}) >= {ABSURD_AMOUNT}")
    if p.reader.options.amount_unit != "yuan":
        conds.append(_fractions_of_unit(p.reader.options.amount_unit))
    return [f"coalesce({c}, false)" for c in conds]


def ids_read_per_text(dtype: str) -> bool:
    """Whether ids of DuckDB type ``dtype`` read the same from their text as from the column (text
    and integers; not floats, which have their own rule)."""
    return dtype == "VARCHAR" or (dtype.startswith(_NUMERIC) and not dtype.startswith(("DOUBLE", "FLOAT", "REAL", "DECIMAL")))


def rows_clear_by_bounds(p: Parsed, opened: Opened) -> tuple[bool, bool]:
    """``(clear, no_refunds)``: clear when the smallest and largest time and amount and the counts of
    missing ones -- which a Parquet file answers from its statistics, without reading the rows --
    prove that none of :func:`row_problems` holds and the fen check cannot: only for a time typed as
    a time (no zone) and an amount typed as a number, read in yuan; any other case is for the row
    scan. ``no_refunds``: no amount is negative."""
    time_type, amount_type = (opened.types.get(p.theirs[c], "") for c in ("timestamp", "amount"))
    if not (time_type in ("TIMESTAMP", "DATE") or time_type.startswith("TIMESTAMP(")) \
            or not amount_type.startswith(("DOUBLE", "BIGINT", "INTEGER", "DECIMAL")) \
            or p.reader.options.amount_unit != "yuan":
        return False, False
    ts, amt = _q(p.theirs["timestamp"]), _q(p.theirs["amount"])
    first, last = f"TIMESTAMP '{MIN_YEAR}-01-01'", f"TIMESTAMP '{MAX_YEAR + 1}-01-01'"
    end = f" AND max({ts}) < TIMESTAMP '{rules.end_limit(p.end)}'" if p.end is not None else ""
    clear, no_refunds = p.query(f"SELECT COUNT(*) > 0 AND COUNT({ts}) = COUNT(*) AND COUNT({amt}) = COUNT(*) "
                                f"AND min({ts}) >= {first} AND max({ts}) < {last}{end} "
                                # NaN is the largest double: a NaN amount fails the second bound
                                f"AND min({amt}) > -{ABSURD_AMOUNT} AND max({amt}) < 1000, min({amt}) >= 0 "
                                f"FROM {opened.view}").fetchall()[0]
    return bool(clear), bool(clear and no_refunds)


def _fractions_of_unit(unit: str) -> str:
    per, amt = AMOUNT_UNITS[unit], _q("amount")
    return f"abs({amt} * {per} - round({amt} * {per})) > 1e-6"


def amount_unit_note(p: Parsed) -> str:
    unit = p.reader.options.amount_unit
    return i18n.text("data", f"note_unit_{unit}", "en", column=p.theirs["amount"], per=AMOUNT_UNITS[unit])


# what the fen check counts, in one pass: are all amounts whole, how many are positive, how many 1,000 or more
FEN_COUNTS = ('bool_and("amount" = round("amount")), COUNT(*) FILTER (WHERE "amount" > 0), '
              'COUNT(*) FILTER (WHERE "amount" >= 1000)')


def looks_like_fen(whole, n_positive: int, n_thousands: int) -> bool:
    """Whether the fen check can hold: every amount whole and at least half the positive ones 1,000
    or more (the median of the positive amounts can be 1,000 or more only then)."""
    return bool(whole) and n_positive > 0 and 2 * n_thousands >= n_positive


def parse_transactions(reader: Reader, source, mapping: Mapping[str, str] | None = None,
                       observation_end=None) -> Parsed:
    """The transactions by the rules, checked as every path checks them: the column checks, absurd
    amounts, times after the observation end, an order id under two customers (refused) and
    exact repeats of a row with an order id (overlapping exports: dropped, counted in the notes);
    a hint when the amounts look like fen. The returned view is what every path reads."""
    p = parse_table(reader, source, "transactions", mapping, observation_end)
    amt = _q("amount")
    n = p.counts({"absurd": f"abs({amt}) >= {ABSURD_AMOUNT}"})
    if n["absurd"]:
        raise rules.absurd_amounts(p.name, p.theirs["amount"], n["absurd"],
                                   p.examples(f"abs({amt}) >= {ABSURD_AMOUNT}", "amount__raw"))
    if "order_id" in p.kinds:
        _order_rules(reader, p)
    if reader.options.amount_unit != "yuan":
        p.notes.append(amount_unit_note(p))
        frac = _fractions_of_unit(reader.options.amount_unit)
        split = p.counts({"f": frac})["f"]
        if split:
            p.warnings.append(i18n.text("data", f"warn_fractions_{reader.options.amount_unit}", "en",
                                        column=p.theirs["amount"], n=f"{split:,}",
                                        example=p.examples(frac, "amount__raw")[0]))
    else:
        # the median (a sort of every amount) only when the counts say it can be 1,000 or more
        whole, n_pos, n_k = p.query(f"SELECT {FEN_COUNTS} FROM {p.data}").fetchall()[0]
        median = (p.query(f"SELECT quantile_cont({amt}, 0.5) FILTER (WHERE {amt} > 0) FROM {p.data}").fetchone()[0]
                  if looks_like_fen(whole, int(n_pos), int(n_k)) else None)
        if whole and median is not None and median >= 1000:
            p.warnings.append(i18n.text("data", "warn_looks_like_fen", "en", column=p.theirs["amount"],
                                        median=f"{median:,.0f}"))
    return p
