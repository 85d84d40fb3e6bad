"""How bad input is reported, written once for every path that reads data.

The reading rules themselves are in :mod:`superkit.data.reading`, which the pandas readers
(:mod:`superkit.data.contract`) and the summary engines (:mod:`superkit.data.duckdb_engine`, and any
engine beside it) all run; a table's own checks (members listed twice, unknown channels) are in the
readers. Both call the functions here, so the same bad file gets the same message -- naming the
file, the column, the rows affected and the fix -- whichever path read it. Nothing here imports
pandas.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from superkit.core.errors import DataError
from superkit.data.spec import ABSURD_AMOUNT, looks_binary

__all__ = [
    "absurd_amounts",
    "after_observation_end",
    "blank_ids",
    "check_file",
    "end_limit",
    "infinite_values",
    "missing_columns",
    "missing_values",
    "mixed_offsets",
    "no_rows",
    "not_numbers",
    "order_conflicts",
    "referred_not_referral",
    "scientific_ids",
    "self_referrals",
    "times_as_instants",
    "unknown_referred_ids",
    "unreadable",
    "unreadable_dates",
    "years_out_of_range",
]

_DATE_FIX = ("write dates as ISO dates (2024-03-31) or datetimes (2024-03-31 14:05:00); 2024/3/31, "
             "20240331 and 2024年3月31日 are read too, day-month orders such as 03/31/2024 and spreadsheet "
             "serial numbers are not (they cannot be told apart safely).")
_NUMBER_FIX = ("use numbers with a dot for decimals (1234.50, ¥1,234.50 and 12元 are read too); "
               "1.234,50 and text such as 'free' are not.")


def check_file(path: Path, table: str) -> tuple[bool, bytes]:
    """The checks every reader makes before parsing a file: it exists, is a file, is not empty and,
    unless it is Parquet, gzip or UTF-16 with a BOM, is text. Returns ``(is_parquet, first_bytes)``."""
    name = str(path)
    if not path.exists():
        raise DataError("file not found", source=name,
                        fix=f"check the path of the {table} file (absolute paths are safest).")
    if path.is_dir():
        raise DataError("is a folder, not a file", source=name,
                        fix=f"give the path of the {table} CSV or Parquet file itself.")
    if path.stat().st_size == 0:
        raise DataError("the file is empty (0 bytes)", source=name,
                        fix=f"export the {table} again; the file should have a header row and data.")
    suffixes = "".join(path.suffixes).lower()
    with open(path, "rb") as fh:
        head = fh.read(4096)
    is_parquet = suffixes.endswith((".parquet", ".pq")) or head.startswith(b"PAR1")
    utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff"))  # a BOM: UTF-16 text, decoded by the reader
    if not is_parquet and not utf16 and not suffixes.endswith(".gz") and looks_binary(head):
        raise DataError("the file is binary, not CSV text", source=name,
                        fix="save it as CSV (UTF-8) or Parquet; Excel files must be exported to CSV.")
    return is_parquet, head


def unreadable(source: str, detail: str) -> DataError:
    return DataError(f"could not be read as CSV or Parquet ({detail[:200]})", source=source,
                     fix="save it as comma-separated UTF-8 CSV with a header row, or as Parquet.")


def missing_columns(missing: list[str], have: list, source: str) -> DataError:
    return DataError(f"required column{'s' if len(missing) > 1 else ''} {missing} missing",
                     source=source, column=missing[0],
                     fix=f"the file has columns {list(have)[:20]}; rename them or pass a mapping, "
                         f"e.g. --map {missing[0]}=<your column name>.")


def no_rows(table: str, source: str) -> DataError:
    return DataError(f"the {table} table has a header but no rows", source=source,
                     fix=f"export the {table} again, with data.")


def blank_ids(source: str, column: str, rows: int, placeholders: int = 0, examples=None) -> DataError:
    """Rows without an id: empty, or a placeholder (``#N/A``, ``NULL``, ``\\N`` ...), counted apart."""
    held = f", {placeholders:,} of them placeholders such as {examples[0]!r}" if placeholders and examples else ""
    return DataError(f"blank ids{held}", source=source, column=column, rows=rows,
                     examples=examples or None,
                     fix="drop or fill the rows without a customer id before loading (sales to walk-in "
                         "customers without an id cannot be attributed to anyone).")


def scientific_ids(source: str, column: str, rows: int, examples) -> DataError:
    """Ids a number format mangled: scientific notation (1.2E+11) or decimals in a float column."""
    return DataError("ids that went through a number format: in scientific notation or with decimals "
                     "(digits lost, e.g. in Excel)", source=source, column=column, rows=rows, examples=examples,
                     fix="export the ids again as text (in Excel: format the column as Text before pasting, or "
                         "export from the source system); 1.2E+11 cannot be turned back into the id.")


def order_conflicts(source: str, column: str, rows: int, examples) -> DataError:
    return DataError("order ids that belong to more than one customer", source=source, column=column,
                     rows=rows, examples=examples,
                     fix="check the column mapping (order_id must be the order number), or drop order_id "
                         "if the export reuses numbers across stores.")


def referred_not_referral(source: str, column: str, rows: int, examples) -> DataError:
    """A referred customer on an event that is not a referral."""
    return DataError("referred customer ids on events that are not referrals", source=source, column=column,
                     rows=rows, examples=examples,
                     fix="give the referred customer's id only on rows of kind 'referral' (leave it empty "
                         "on feedback, share, review and complaint rows), or check the kind column.")


def self_referrals(source: str, column: str, rows: int, examples) -> DataError:
    """Referrals whose referred customer is the referrer."""
    return DataError("referrals where the referred customer is the referrer", source=source, column=column,
                     rows=rows, examples=examples,
                     fix="the referred id must be the new customer the referral brought, not the one who "
                         "referred; check the column mapping (customer_id = who referred, referred_id = "
                         "who was brought).")


def unknown_referred_ids(source: str, column: str, rows: int, examples) -> DataError:
    """Referred customer ids that never appear among the buyers (an error when none of them does; a
    warning otherwise: those referrals brought no buying customer)."""
    return DataError("referred customer ids that never bought (not found in the transactions)", source=source,
                     column=column, rows=rows, examples=examples,
                     fix="check that the events and the transactions use the same customer ids (the same "
                         "system, the same leading zeros: read_options strip_leading_zeros); a referred "
                         "customer who registered but never bought is not a new customer and counts as none.")


def years_out_of_range(source: str, column: str, rows: int, low: int, high: int, examples) -> DataError:
    return DataError(f"dates with a year outside {low}-{high}", source=source, column=column, rows=rows,
                     examples=examples,
                     fix="correct the typed years (3025 for 2025); for a membership that never ends leave "
                         "ended_at empty or write 9999-12-31.")


def mixed_offsets(source: str, column: str, rows: int, offsets) -> DataError:
    return DataError(f"times written in {len(offsets)}{'+' if len(offsets) > 4 else ''} different UTC offsets "
                     f"({', '.join(offsets[:4])})", source=source, column=column, rows=rows,
                     fix="give the time zone the business runs in (--timezone Asia/Shanghai, or reading: "
                         "{timezone: Asia/Shanghai} in the config); every time is then read as that zone's "
                         "wall-clock time.")


def times_as_instants(source: str, column: str, rows: int) -> DataError:
    return DataError("times stored as instants with a time zone (a Parquet TIMESTAMP WITH TIME ZONE, or a "
                     "time-zone-aware pandas column)",
                     source=source, column=column, rows=rows,
                     fix="give the time zone the business runs in (--timezone Asia/Shanghai, or reading: "
                         "{timezone: Asia/Shanghai} in the config) so each purchase falls on its local day.")


def unreadable_dates(source: str, column: str, rows: int, examples) -> DataError:
    return DataError("dates that cannot be read", source=source, column=column, rows=rows,
                     examples=examples, fix=_DATE_FIX)


def missing_values(source: str, column: str, rows: int, what: str = "values") -> DataError:
    return DataError(f"missing {what}", source=source, column=column, rows=rows,
                     fix="every row needs a value; drop or fill the empty ones.")


def not_numbers(source: str, column: str, rows: int, examples) -> DataError:
    return DataError("values that are not numbers", source=source, column=column, rows=rows,
                     examples=examples, fix=_NUMBER_FIX)


def infinite_values(source: str, column: str, rows: int) -> DataError:
    return DataError("infinite values", source=source, column=column, rows=rows,
                     fix="replace them with real amounts.")


def absurd_amounts(source: str, column: str, rows: int, examples=None) -> DataError:
    return DataError(f"amounts of {ABSURD_AMOUNT:,.0f} or more on one transaction", source=source,
                     column=column, rows=rows, examples=examples,
                     fix="check the unit (cents vs yuan) and that the amount column is not an id.")


def end_limit(end: dt.datetime) -> dt.datetime:
    """The first moment *after* the observation end: a date-only end includes that whole day, an end
    with a time includes that moment."""
    midnight = end.hour == end.minute == end.second == end.microsecond == 0
    return end + (dt.timedelta(days=1) if midnight else dt.timedelta(microseconds=1))


def after_observation_end(end: dt.datetime, source: str, column: str, rows: int, examples) -> DataError:
    midnight = end.hour == end.minute == end.second == end.microsecond == 0
    return DataError(f"dates after the observation end {end.date() if midnight else end}", source=source, column=column,
                     rows=rows, examples=examples,
                     fix="set --observation-end to the last day of the data, or drop the later rows.")
