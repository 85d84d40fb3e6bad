"""A corpus of client exports, each with the outcome the reading rules must give it.

Every case starts from one small clean truth table (:data:`TRUTH`: 8 customers -- Chinese names
such as 张三, numeric ids with leading zeros such as ``000010`` -- 40 rows over 2025 with refunds,
same-day refunds, refund-only days and purchases at 01:30) and writes it the way a real system
exports it: the bytes of Excel's GBK CSV on Chinese Windows, UTF-8 with a BOM, UTF-16 with tabs,
``; TAB |`` separators, a title line above the header, trailing commas, CRLF, ``"¥1,234.50"``,
``(12.50)`` refunds, ``2025/1/5``, ``20250105``, ``2025年1月5日 下午2:05``, UTC offsets, float-looking
ids, amounts in fen, overlapping monthly exports, Parquet, gzip ...

A case (:class:`Case`) is a name, the file it writes (:meth:`Case.write`), the ``mapping`` and
``options`` to read it with, and what must happen:

* :class:`Accept` -- the file reads to ``truth`` (the clean truth unless the export legitimately
  differs, e.g. ids that lost their leading zeros in a float column), to the minute or, for
  date-only exports, to the day; optionally a note or warning the read must report;
* :class:`Refuse` -- the file is refused with a message matching ``pattern``.

``bug`` marks a case the package gets wrong today (the test is a strict xfail naming it).
:data:`TRANSACTION_CASES` are read by both paths (``read_transactions`` and ``summarize``);
:data:`MEMBER_CASES` by ``read_members``. :func:`reference_summary` is the summary of a truth
computed independently of the package (exact decimal arithmetic, the lifetimes definitions).
"""
from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import re
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Callable, Iterable, Sequence

OBSERVATION_END = dt.date(2025, 12, 31)
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
COLUMNS = ("customer_id", "timestamp", "amount", "order_id")


@dataclass(frozen=True)
class Row:
    customer_id: str
    timestamp: dt.datetime
    amount: Decimal
    order_id: str | None


def _rows(spec: str) -> tuple[Row, ...]:
    rows = []
    for line in spec.strip().splitlines():
        cid, day, clock, amount, oid = line.split()
        rows.append(Row(cid, dt.datetime.fromisoformat(f"{day} {clock}"), Decimal(amount), oid))
    return tuple(sorted(rows, key=lambda r: (r.timestamp, r.order_id)))


# the clean truth, in the order an export lists it (by time)
TRUTH = _rows("""
张三   2025-01-05 14:05 128.50  A1001
张三   2025-01-05 18:20 -28.50  A1002
张三   2025-02-14 01:30 1234.50 A1003
张三   2025-03-08 10:00 56.00   A1004
张三   2025-03-09 09:15 -56.00  A1005
张三   2025-06-18 20:45 2399.00 A1006
张三   2025-11-11 00:05 12.00   A1007
李四   2025-01-20 12:00 88.80   A1008
李四   2025-04-01 01:30 45.60   A1009
李四   2025-04-01 13:10 30.00   A1010
李四   2025-08-08 08:08 199.90  A1011
李四   2025-10-10 10:10 1000.00 A1040
李四   2025-12-31 23:59 66.60   A1012
王五   2025-02-01 09:00 15.00   A1013
王五   2025-02-01 09:30 -15.00  A1014
王五   2025-05-20 19:00 520.00  A1015
王五   2025-09-10 10:10 1314.00 A1016
赵六   2025-07-01 11:11 75.25   A1017
赵六   2025-07-01 11:40 8.00    A1039
000010 2025-01-02 08:00 10.00   A1018
000010 2025-01-16 08:00 10.00   A1019
000010 2025-02-02 01:30 20.50   A1020
000010 2025-03-03 15:00 -5.00   A1021
000010 2025-03-15 15:00 32.10   A1022
000010 2025-10-01 10:00 3456.78 A1023
000123 2025-03-01 10:00 300.00  A1024
000123 2025-03-01 16:00 -400.00 A1025
000123 2025-06-06 06:06 60.60   A1026
000123 2025-06-30 21:00 99.99   A1027
000123 2025-12-01 01:30 150.00  A1028
007788 2025-04-10 14:00 42.00   A1029
007788 2025-05-10 14:00 42.00   A1030
007788 2025-06-10 14:00 42.00   A1031
007788 2025-07-10 14:00 42.00   A1032
007788 2025-08-10 14:00 -42.00  A1033
88001  2025-09-01 12:30 9.90    A1034
88001  2025-09-15 12:30 19.90   A1035
88001  2025-10-20 01:30 29.90   A1036
88001  2025-11-25 17:45 1999.00 A1037
88001  2025-12-24 22:00 -199.00 A1038
""")


def without_zeros(rows: Iterable[Row]) -> tuple[Row, ...]:
    """The rows with the leading zeros of all-digit ids dropped (a float column, strip_leading_zeros)."""
    return tuple(replace(r, customer_id=r.customer_id.lstrip("0") or "0") if r.customer_id.isdigit() else r
                 for r in rows)


def in_fen(rows: Iterable[Row]) -> tuple[Row, ...]:
    """The rows with amounts in fen (an export in fen read as yuan)."""
    return tuple(replace(r, amount=r.amount * 100) for r in rows)


def reference_summary(rows: Iterable[Row], end: dt.date = OBSERVATION_END):
    """The summary of ``rows`` by the lifetimes definitions (README / summary.sql), computed with
    exact decimals in plain Python: a purchase day is a customer's day with at least one row >= 0
    and a net amount >= 0; frequency = purchase days - 1, recency = last - first, T = end - first
    (days), monetary_value = mean net amount of the repeat purchase days."""
    import pandas as pd

    days: dict[tuple[str, dt.date], list[Decimal]] = defaultdict(list)
    for r in rows:
        if r.timestamp.date() <= end:
            days[(r.customer_id, r.timestamp.date())].append(r.amount)
    bought: dict[str, list[tuple[dt.date, Decimal]]] = defaultdict(list)
    for (cid, day), amounts in sorted(days.items()):
        if max(amounts) >= 0 and sum(amounts) >= 0:
            bought[cid].append((day, sum(amounts)))
    records = []
    for cid, ds in bought.items():
        n = len(ds)
        records.append({"customer_id": cid, "frequency": float(n - 1), "recency": float((ds[-1][0] - ds[0][0]).days),
                        "T": float((end - ds[0][0]).days),
                        "monetary_value": float(sum(a for _, a in ds[1:]) / (n - 1)) if n > 1 else 0.0})
    df = pd.DataFrame(records, columns=["customer_id", "frequency", "recency", "T", "monetary_value"])
    df["customer_id"] = df["customer_id"].astype(str)
    return df.set_index("customer_id").sort_index()


# --------------------------------------------------------------------------------------------
# Outcomes and cases
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Accept:
    """Read to ``truth``; ``precision`` "minute" (times as written) or "day" (a date-only export);
    ``note`` / ``warning``: a regex one of the read's notes / warnings must match (else no warning)."""

    truth: tuple[Row, ...] = TRUTH
    precision: str = "minute"
    note: str | None = None
    warning: str | None = None


@dataclass(frozen=True)
class Refuse:
    """Refused with a message matching ``pattern`` (a regex, searched)."""

    pattern: str


@dataclass(frozen=True)
class Case:
    name: str
    filename: str
    make: Callable[[], bytes]
    expect: Accept | Refuse
    mapping: dict | None = None
    options: dict = field(default_factory=dict)
    bug: str | None = None

    def write(self, folder: Path) -> Path:
        path = Path(folder) / self.filename
        path.write_bytes(self.make())
        return path


# --------------------------------------------------------------------------------------------
# How exports write times, amounts and ids
# --------------------------------------------------------------------------------------------
def _h12(t: dt.datetime) -> int:
    return t.hour % 12 or 12


def _strftime(pattern: str):
    return lambda t: t.strftime(pattern)


iso, iso_t, iso_day = _strftime("%Y-%m-%d %H:%M:%S"), _strftime("%Y-%m-%dT%H:%M"), _strftime("%Y-%m-%d")
compact, compact_day = _strftime("%Y%m%d%H%M%S"), _strftime("%Y%m%d")


def slashed(t: dt.datetime) -> str:          # Excel on Chinese Windows: no zero padding
    return f"{t.year}/{t.month}/{t.day} {t:%H:%M}"


def dotted(t: dt.datetime) -> str:
    return f"{t.year}.{t.month}.{t.day} {t:%H:%M}"


def chinese_12h(t: dt.datetime) -> str:
    return f"{t.year}年{t.month}月{t.day}日 {'上午' if t.hour < 12 else '下午'}{_h12(t)}:{t:%M}"


def chinese_24h(t: dt.datetime) -> str:
    return f"{t.year}年{t.month}月{t.day}日 {t.hour}时{t:%M}分"


def am_pm(t: dt.datetime) -> str:
    return f"{t:%Y-%m-%d} {_h12(t)}:{t:%M} {'AM' if t.hour < 12 else 'PM'}"


def chinese_periods(t: dt.datetime) -> str:
    """The parts of the day some apps write: 凌晨1:30, 早上8:08, 中午12:00, 下午2:05, 晚上9:00."""
    period = next(p for start, p in ((18, "晚上"), (13, "下午"), (12, "中午"), (9, "上午"), (6, "早上"), (0, "凌晨"))
                  if t.hour >= start)
    return f"{t.year}年{t.month}月{t.day}日 {period}{_h12(t)}:{t:%M}"


def am_pm_compact(t: dt.datetime) -> str:
    return f"{t:%Y/%m/%d} {_h12(t)}:{t:%M}{'am' if t.hour < 12 else 'pm'}"


def iso_unpadded(t: dt.datetime) -> str:
    return f"{t.year}-{t.month}-{t.day} {t.hour}:{t:%M}"


def beijing_offset(t: dt.datetime) -> str:
    return f"{t:%Y-%m-%dT%H:%M:%S}+08:00"


def as_utc(t: dt.datetime) -> dt.datetime:
    """The UTC wall clock of a Beijing wall-clock time."""
    return t.replace(tzinfo=SHANGHAI).astimezone(dt.timezone.utc).replace(tzinfo=None)


def utc_z(t: dt.datetime) -> str:
    return f"{as_utc(t):%Y-%m-%dT%H:%M:%S}Z"


def offset_spellings(t: dt.datetime, i: int) -> str:
    """One offset written three ways: +08:00, +0800, +08."""
    return f"{t:%Y-%m-%dT%H:%M:%S}" + ("+08:00", "+0800", "+08")[i % 3]


def mixed_offsets(t: dt.datetime, i: int) -> str:
    """Beijing times written by three systems: +08:00, UTC (+00:00) and no offset at all."""
    return (beijing_offset(t), f"{as_utc(t):%Y-%m-%d %H:%M:%S}+00:00", iso(t))[i % 3]


def plain(a: Decimal) -> str:
    return f"{a:f}"


def general(a: Decimal) -> str:                # Excel's General format: 128.5, 56
    return f"{a.normalize():f}"


def _signed(a: Decimal, body: Callable[[Decimal], str]) -> str:
    return ("-" if a < 0 else "") + body(abs(a))


def yen_thousands(a: Decimal) -> str:
    return _signed(a, lambda x: f"¥{x:,.2f}")


def accounting(a: Decimal) -> str:
    return f"({abs(a):,.2f})" if a < 0 else f"{a:,.2f}"


def mixed_currency(a: Decimal, i: int) -> str:
    """Amounts typed by hand: ``￥12``, ``12元``, ``RMB 12``, ``¥1,234.50``, plain."""
    return (lambda x: _signed(x, lambda v: f"￥{v:f}"), lambda x: f"{x:f}元", lambda x: f"RMB {x:f}",
            yen_thousands, plain)[i % 5](a)


def fen(a: Decimal) -> str:
    return str(int(a * 100))


def padded(cid: str, i: int) -> str:
    return (f" {cid} ", f"\u3000{cid}\u3000", f"{cid}  ", f"\u00a0{cid}")[i % 4]


def tab_prefixed(cid: str) -> str:            # a tab keeps Excel from reading the id as a number
    return "\t" + cid


def float_id(cid: str) -> str:
    return f"{int(cid)}.0" if cid.isdigit() else cid


# --------------------------------------------------------------------------------------------
# Writing a table the way an export does
# --------------------------------------------------------------------------------------------
def fields(rows: Sequence[Row], *, time=iso, amount=plain, cid=None, header=COLUMNS,
           extra: dict[str, Callable[[Row, int], str]] | None = None) -> list[list[str]]:
    """The header and the rows as text fields; ``time(t[, i])``, ``amount(a[, i])``, ``cid(id[, i])``
    format a value (the row index ``i`` when they take two arguments); ``extra``: more columns."""
    def call(fn, value, i):
        return fn(value, i) if fn.__code__.co_argcount == 2 else fn(value)

    extra = extra or {}
    out = [list(header) + list(extra)]
    for i, r in enumerate(rows):
        line = [r.customer_id if cid is None else call(cid, r.customer_id, i), call(time, r.timestamp, i),
                call(amount, r.amount, i), r.order_id or ""][:len(header)]
        out.append(line + [fn(r, i) for fn in extra.values()])
    return out


def render(table: Sequence[Sequence[str]], *, sep=",", newline="\n", encoding="utf-8", title: str | None = None,
           trailing: int = 0, quote_all=False, bom=False) -> bytes:
    """CSV bytes: ``title`` above the header (padded with separators like Excel), ``trailing`` empty
    fields at the end of every line (Excel's empty columns), fields quoted only where needed (or
    all), ``bom``: a byte order mark written before the text (the ``-sig`` / ``utf-16`` codecs write
    their own)."""
    buf = io.StringIO()
    buf.write("\ufeff" if bom else "")
    writer = csv.writer(buf, delimiter=sep, lineterminator=newline,
                        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    if title is not None:
        buf.write(title + sep * (len(table[0]) + trailing - 1 if trailing else 0) + newline)
    for line in table:
        writer.writerow(list(line) + [""] * trailing)
    return buf.getvalue().encode(encoding)


def csv_case(name: str, expect: Accept | Refuse = Accept(), *, rows: Sequence[Row] = TRUTH,
             filename: str = "orders.csv", mapping=None, options=None, bug=None,
             edit: Callable[[list[list[str]]], None] | None = None, **kw) -> Case:
    """A CSV case: :func:`fields` keywords (time, amount, cid, header, extra) and :func:`render`
    keywords (sep, newline, encoding, title, trailing, quote_all, bom); ``edit`` changes the text fields
    (header first) before they are written."""
    field_kw = {k: kw.pop(k) for k in ("time", "amount", "cid", "header", "extra") if k in kw}

    def make() -> bytes:
        table = fields(rows, **field_kw)
        if edit is not None:
            edit(table)
        return render(table, **kw)

    return Case(name, filename, make, expect, mapping, dict(options or {}), bug)


def cell(line: int, column: str, value: str) -> Callable[[list[list[str]]], None]:
    """An edit setting one cell (``line`` 1 = the first data row)."""
    def edit(table):
        table[line][table[0].index(column)] = value
    return edit


def parquet_case(name: str, columns: Callable[[Sequence[Row]], dict], expect: Accept | Refuse = Accept(), *,
                 rows: Sequence[Row] = TRUTH, options=None, bug=None) -> Case:
    """A Parquet case: ``columns(rows)`` gives the Arrow arrays by column name."""
    def make() -> bytes:
        import pyarrow as pa
        import pyarrow.parquet as pq

        buf = io.BytesIO()
        pq.write_table(pa.table(columns(rows)), buf)
        return buf.getvalue()

    return Case(name, "orders.parquet", make, expect, None, dict(options or {}), bug)


def _arrow(rows: Sequence[Row], ids=None, times=None, amounts=None) -> dict:
    """Typed Arrow columns of ``rows`` (string ids, timestamps, float amounts), each replaceable."""
    import pyarrow as pa

    return {
        "customer_id": ids if ids is not None else pa.array([r.customer_id for r in rows], pa.string()),
        "timestamp": times if times is not None else pa.array([r.timestamp for r in rows], pa.timestamp("us")),
        "amount": amounts if amounts is not None else pa.array([float(r.amount) for r in rows], pa.float64()),
        "order_id": pa.array([r.order_id for r in rows], pa.string()),
    }


def _pa(kind: str):
    """Arrow column builders for the Parquet cases."""
    import pyarrow as pa

    return {
        "typed": lambda rows: _arrow(rows),
        "padded": lambda rows: _arrow(rows, ids=pa.array([padded(r.customer_id, i) for i, r in enumerate(rows)])),
        "decimal": lambda rows: _arrow(rows, amounts=pa.array([r.amount for r in rows], pa.decimal128(12, 2))),
        "date32": lambda rows: _arrow(rows, times=pa.array([r.timestamp.date() for r in rows], pa.date32())),
        "text": lambda rows: _arrow(rows, times=pa.array([slashed(r.timestamp) for r in rows]),
                                    amounts=pa.array([yen_thousands(r.amount) for r in rows])),
        "fen": lambda rows: _arrow(rows, amounts=pa.array([int(r.amount * 100) for r in rows], pa.int64())),
        "instants": lambda rows: _arrow(rows, times=pa.array(
            [r.timestamp.replace(tzinfo=SHANGHAI) for r in rows], pa.timestamp("us", tz="UTC"))),
        "nan": lambda rows: _arrow(rows, amounts=pa.array([float("nan") if i == 3 else float(r.amount)
                                                           for i, r in enumerate(rows)])),
        "inf": lambda rows: _arrow(rows, amounts=pa.array([float("inf") if i == 3 else float(r.amount)
                                                           for i, r in enumerate(rows)])),
        "epoch_millis": lambda rows: _arrow(rows, times=pa.array(
            [int(r.timestamp.replace(tzinfo=SHANGHAI).timestamp() * 1000) for r in rows], pa.int64())),
        "float_ids": lambda rows: _arrow(rows, ids=pa.array([float(r.customer_id) for r in rows])),
        "float_ids_nan": lambda rows: _arrow(rows, ids=pa.array([float("nan") if i == 5 else float(r.customer_id)
                                                                 for i, r in enumerate(rows)])),
        "null_id": lambda rows: _arrow(rows, ids=pa.array([None if i == 5 else r.customer_id
                                                           for i, r in enumerate(rows)], pa.string())),
    }[kind]


# --------------------------------------------------------------------------------------------
# Special files
# --------------------------------------------------------------------------------------------
def _overlapping(first_until: dt.date, second_from: dt.date, rows: Sequence[Row] = TRUTH) -> list[Row]:
    """Two exports pasted one under the other: up to ``first_until`` and from ``second_from``."""
    return ([r for r in rows if r.timestamp.date() <= first_until]
            + [r for r in rows if r.timestamp.date() >= second_from])


def _gzipped(case: Case) -> Case:
    return replace(case, make=lambda: gzip.compress(case.make(), mtime=0))


def _xlsx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        z.writestr("xl/worksheets/sheet1.xml", "<worksheet><sheetData/></worksheet>")
    return buf.getvalue()


_NOTE = "会员备注" * 1000   # a long free-text column: 12,000 bytes of UTF-8 per row


def _large_utf8() -> bytes:
    """A UTF-8 file longer than the sniffer's window (256 KiB), a character cut at its edge."""
    table = fields(TRUTH, extra={"note": lambda r, i: _NOTE})
    data = render(table)
    window = 1 << 18
    if data[window] & 0xC0 != 0x80:       # make the window end inside a multi-byte character
        table[1][-1] = "x" + _NOTE
        data = render(table)
    assert data[window] & 0xC0 == 0x80
    return data


def _utf8_then_gbk() -> tuple[bytes, int]:
    """UTF-8 for the first 300 KB, then GBK (two exports pasted together): (bytes, first GBK line)."""
    lines = render(fields(TRUTH, extra={"note": lambda r, i: _NOTE})).decode("utf-8").splitlines(keepends=True)
    out, first_gbk = b"", 0
    for n, line in enumerate(lines, start=1):
        if len(out) < 300_000:
            out += line.encode("utf-8")
        else:
            first_gbk = first_gbk or n
            out += line.encode("gbk")
    return out, first_gbk


_MIXED, _MIXED_LINE = _utf8_then_gbk()


# --------------------------------------------------------------------------------------------
# The transaction cases
# --------------------------------------------------------------------------------------------
def _late_row(table):
    table.append(["李四", "2026-01-03 10:00:00", "20.00", "A2001"])


def _second_header(table):
    table.insert(21, list(table[0]))


def _extra_field(table):
    table[7].append("多出来的一列")


def _cut_off(table):
    del table[5][-1]                  # data row 5 lost its last field (file line 6)


def _multiline_then_cut_off(table):
    table[0].append("备注")
    for line in table[1:]:
        line.append("")
    table[1][-1] = "送货前\n请电话联系"   # a quoted note over two lines: row 5 is on file line 7
    del table[5][-1]


def _clash(table):
    table[2][3] = table[1][3]           # the order id of row 1 (another customer) on row 2


_CHINESE_HEADER = ("会员编号", "下单时间", "实付金额", "订单号")
_CHINESE_MAPPING = {"customer_id": "会员编号", "timestamp": "下单时间", "amount": "实付金额", "order_id": "订单号"}
_NUMERIC_ROWS = tuple(r for r in TRUTH if r.customer_id.isdigit())
_REPEATED = _overlapping(dt.date(2025, 7, 31), dt.date(2025, 6, 1))
_STORES = ("北京, 朝阳店", "上海,徐汇店", "线上")

TRANSACTION_CASES: list[Case] = [
    # -- encodings ---------------------------------------------------------------------------
    csv_case("clean_utf8"),
    csv_case("utf8_bom", encoding="utf-8-sig"),
    csv_case("gbk_excel", Accept(note="GB18030"), encoding="gbk", newline="\r\n", time=slashed, amount=general,
             title="订单导出 2025年", trailing=1),
    csv_case("gbk_forced_encoding", encoding="gbk", options={"encoding": "gbk"}),
    csv_case("gb18030_chinese_headers_mapping", encoding="gb18030", header=_CHINESE_HEADER,
             mapping=_CHINESE_MAPPING, time=chinese_24h),
    csv_case("utf16le_bom_tabs", Accept(note="UTF-16"), encoding="utf-16", sep="\t", newline="\r\n",
             amount=yen_thousands),
    csv_case("utf16be_bom_tabs", encoding="utf-16-be", bom=True, sep="\t"),
    Case("utf8_large_cut_character", "orders.csv", _large_utf8, Accept()),
    # -- layout ------------------------------------------------------------------------------
    csv_case("semicolons", Accept(note="';'"), sep=";"),
    csv_case("tabs_unquoted_thousands", sep="\t", amount=yen_thousands),
    csv_case("pipes_mysql_nulls", sep="|", edit=cell(4, "order_id", "\\N")),
    csv_case("title_line", Accept(note="skipped 1 line"), title="订单导出 2025年"),
    csv_case("title_and_blank_line", title="订单导出 2025年\n"),
    csv_case("two_title_lines_one_order", Accept(truth=TRUTH[:1], note="skipped 2 lines"), rows=TRUTH[:1],
             title="订单导出\n导出时间: 2025-12-31"),
    csv_case("trailing_commas", trailing=1),
    csv_case("crlf", newline="\r\n"),
    csv_case("trailing_blank_lines", edit=lambda t: t.extend([[], []])),
    csv_case("quote_all", quote_all=True),
    csv_case("quoted_commas_in_fields", extra={"store": lambda r, i: _STORES[i % 3],
                                               "category": lambda r, i: "服装,鞋帽" if i % 2 else "食品"}),
    csv_case("extra_unknown_columns", extra={"手机号": lambda r, i: f"138{i:08d}", "备注": lambda r, i: "",
                                             "channel": lambda r, i: "小程序", "积分": lambda r, i: str(i * 10)}),
    csv_case("header_case_and_spaces", header=(" Customer_ID ", "TIMESTAMP", "Amount ", "Order_Id")),
    _gzipped(csv_case("gzip_csv", filename="orders.csv.gz")),
    _gzipped(csv_case("gzip_gbk", Accept(note="GB18030"), filename="orders.csv.gz", encoding="gbk")),
    # -- times -------------------------------------------------------------------------------
    csv_case("dates_slashed", time=slashed),
    csv_case("dates_dotted", time=dotted),
    csv_case("dates_iso_t", time=iso_t),
    csv_case("dates_compact_datetime", time=compact),
    csv_case("dates_compact_day", Accept(precision="day"), time=compact_day),
    csv_case("dates_iso_day", Accept(precision="day"), time=iso_day),
    csv_case("dates_chinese_12h", time=chinese_12h),
    csv_case("dates_chinese_24h", time=chinese_24h),
    csv_case("dates_am_pm", time=am_pm),
    csv_case("dates_am_pm_lowercase_no_space", time=am_pm_compact),
    csv_case("dates_chinese_periods_of_the_day", time=chinese_periods),
    csv_case("dates_iso_unpadded", time=iso_unpadded),
    csv_case("uniform_beijing_offset", Accept(note="offset \\+08:00 .* dropped"), time=beijing_offset),
    csv_case("one_offset_spelled_three_ways", Accept(note="offset \\+08:00 .* dropped"), time=offset_spellings),
    csv_case("uniform_beijing_offset_with_timezone", time=beijing_offset, options={"timezone": "Asia/Shanghai"}),
    csv_case("utc_z_with_timezone", Accept(note="converted to Asia/Shanghai"), time=utc_z,
             options={"timezone": "Asia/Shanghai"}),
    csv_case("mixed_offsets_with_timezone", time=mixed_offsets, options={"timezone": "Asia/Shanghai"}),
    csv_case("no_offsets_with_timezone", options={"timezone": "Asia/Shanghai"}),
    # -- amounts -----------------------------------------------------------------------------
    csv_case("yen_thousands_quoted", amount=yen_thousands),
    csv_case("mixed_currency_marks", amount=mixed_currency),
    csv_case("accounting_refunds", amount=accounting),
    csv_case("fen_with_amount_unit", Accept(note="divided by 100"), amount=fen, options={"amount_unit": "fen"}),
    csv_case("fen_read_as_yuan_warns", Accept(truth=in_fen(TRUTH), warning="look like fen"), amount=fen),
    # -- ids ---------------------------------------------------------------------------------
    csv_case("padded_ids", cid=padded),
    csv_case("tab_prefixed_ids", cid=tab_prefixed),
    csv_case("float_ids", Accept(truth=without_zeros(TRUTH)), cid=float_id),
    csv_case("strip_leading_zeros", Accept(truth=without_zeros(TRUTH)), options={"strip_leading_zeros": True}),
    csv_case("placeholders_in_optional_columns",
             extra={"category": lambda r, i: ("#N/A", "NULL", "食品")[i % 3]},
             edit=lambda t: [t[i].__setitem__(3, "-") for i in (1, 2, 3, 9)]),
    # -- rows --------------------------------------------------------------------------------
    csv_case("overlapping_exports", Accept(note="7 rows that repeat another row exactly"), rows=_REPEATED),
    csv_case("overlapping_exports_without_order_id", Accept(truth=tuple(_REPEATED)), rows=_REPEATED,
             header=COLUMNS[:3]),
    # -- Parquet -----------------------------------------------------------------------------
    parquet_case("parquet_typed", _pa("typed")),
    parquet_case("parquet_padded_ids", _pa("padded")),
    parquet_case("parquet_decimal_amounts", _pa("decimal")),
    parquet_case("parquet_date32", _pa("date32"), Accept(precision="day")),
    parquet_case("parquet_text_columns", _pa("text")),
    parquet_case("parquet_fen_integers", _pa("fen"), options={"amount_unit": "fen"}),
    parquet_case("parquet_float_ids", _pa("float_ids"), Accept(truth=without_zeros(_NUMERIC_ROWS)),
                 rows=_NUMERIC_ROWS),
    parquet_case("parquet_instants_with_timezone", _pa("instants"), options={"timezone": "Asia/Shanghai"}),
    # -- refused -----------------------------------------------------------------------------
    csv_case("mixed_offsets_without_timezone", Refuse(r"2 different UTC offsets \(\+00:00, \+08:00\).*--timezone"),
             time=mixed_offsets),
    csv_case("year_3025", Refuse(r"year outside 1900-2098 \(1 row affected\); e\.g\. '3025-03-08"),
             edit=cell(10, "timestamp", "3025-03-08 10:00:00")),
    csv_case("year_9999_in_transactions", Refuse(r"year outside 1900-2098"), edit=cell(10, "timestamp", "9999-12-31")),
    csv_case("year_1899", Refuse(r"year outside 1900-2098"), edit=cell(10, "timestamp", "1899-12-31")),
    csv_case("duplicate_headers", Refuse(r"two columns are named 'amount' \(columns 3 and 5\)"),
             extra={"amount": lambda r, i: "0"}),
    *[csv_case(f"placeholder_id_{label}", Refuse(r"blank ids, 1 of them placeholders such as " + re.escape(repr(ph))),
               edit=cell(6, "customer_id", ph))
      for label, ph in (("na", "#N/A"), ("null", "NULL"), ("backslash_n", "\\N"), ("nan", "nan"), ("none", "None"),
                        ("dash", "-"))],
    csv_case("blank_id", Refuse(r"column 'customer_id': blank ids \(1 row affected\)"),
             edit=cell(6, "customer_id", "")),
    csv_case("blank_id_full_width_space", Refuse(r"blank ids \(1 row affected\)"),
             edit=cell(6, "customer_id", "\u3000")),
    csv_case("scientific_ids", Refuse(r"scientific notation.*'1\.2E\+11'"), edit=cell(6, "customer_id", "1.2E+11")),
    csv_case("us_dates", Refuse(r"dates that cannot be read \(40 rows affected\); e\.g\. '01/02/2025 08:00'"),
             time=lambda t: f"{t:%m/%d/%Y %H:%M}"),
    csv_case("serial_dates", Refuse(r"dates that cannot be read .*'45662'"), edit=cell(1, "timestamp", "45662")),
    csv_case("february_30", Refuse(r"dates that cannot be read \(1 row affected\); e\.g\. '2025-02-30"),
             edit=cell(4, "timestamp", "2025-02-30 10:00:00")),
    csv_case("missing_date", Refuse(r"column 'timestamp': missing dates \(1 row affected\)"),
             edit=cell(4, "timestamp", "")),
    csv_case("european_decimals", Refuse(r"values that are not numbers \(40 rows affected\)"), sep=";",
             amount=lambda a: f"{a:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")),
    csv_case("text_amount", Refuse(r"values that are not numbers \(1 row affected\); e\.g\. '免费'"),
             edit=cell(8, "amount", "免费")),
    csv_case("inf_amount", Refuse(r"column 'amount': (values that are not numbers|infinite values)"),
             edit=cell(8, "amount", "inf")),
    csv_case("missing_amount", Refuse(r"column 'amount': missing values \(1 row affected\)"),
             edit=cell(8, "amount", "")),
    csv_case("absurd_amount", Refuse(r"amounts of 1,000,000,000 or more"), edit=cell(8, "amount", "1234567890")),
    csv_case("after_observation_end", Refuse(r"dates after the observation end 2025-12-31 \(1 row affected\)"),
             edit=_late_row),
    csv_case("order_id_under_two_customers", Refuse(r"order ids that belong to more than one customer"), edit=_clash),
    csv_case("row_with_too_many_fields", Refuse(r"a row with 5 fields where the header has 4 near line 8\b"),
             edit=_extra_field),
    csv_case("row_with_too_many_fields_gbk_title", Refuse(r"a row with 5 fields where the header has 4 near line 9\b"),
             encoding="gbk", title="订单导出 2025年", edit=_extra_field),
    csv_case("row_cut_off", Refuse(r"a row with 3 fields where the header has 4 near line 6\b"), edit=_cut_off),
    csv_case("row_cut_off_after_a_multiline_note", Refuse(r"a row with 4 fields where the header has 5 near line 7\b"),
             edit=_multiline_then_cut_off,
             bug="the line named is the record number, not the file line, after a quoted field spanning two "
                 "lines: 'customer_id,timestamp,amount,note\\na,2025-01-05,10,\"x\\ny\"\\nb,2025-01-06\\n' names "
                 "line 3, the row is on line 4"),
    Case("unterminated_quote", "orders.csv", lambda: render(fields(TRUTH)).replace(b",A1005", b',"A1005'),
         Refuse(r"a quoted field that never ends")),
    csv_case("second_header_in_the_middle", Refuse(r"dates that cannot be read .*'timestamp'"), edit=_second_header),
    csv_case("missing_required_column", Refuse(r"required column \['amount'\] missing.*--map amount="),
             header=("customer_id", "timestamp", "total", "order_id")),
    csv_case("mapping_to_absent_column", Refuse(r"the column mapping points at \['会员编号'\]"),
             mapping={"customer_id": "会员编号"}),
    csv_case("header_only", Refuse(r"header but no rows"), edit=lambda t: t.__delitem__(slice(1, None))),
    csv_case("forced_utf8_on_gbk", Refuse(r"the file is not utf-8 text"), encoding="gbk",
             options={"encoding": "utf-8"}),
    csv_case("neither_utf8_nor_gb18030", Refuse(r"neither UTF-8 nor GB18030"), encoding="cp1252",
             cid=lambda c: "Café Noir" if not c.isdigit() else c, rows=TRUTH[:10]),
    Case("utf8_then_gbk_after_300kb", "orders.csv", lambda: _MIXED,
         Refuse(rf"a byte sequence that is not UTF-8 near line {_MIXED_LINE}\b")),
    csv_case("mapping_overrides_our_name", header=("member_no", "timestamp", "amount", "order_id"),
             extra={"customer_id": lambda r, i: f"internal-{i}"}, mapping={"customer_id": "member_no"}),
    Case("xlsx_file", "orders.xlsx", _xlsx, Refuse(r"binary, not CSV text.*Excel")),
    Case("empty_file", "orders.csv", lambda: b"", Refuse(r"the file is empty \(0 bytes\)")),
    parquet_case("parquet_instants_without_timezone", _pa("instants"),
                 Refuse(r"instants with a time zone.*--timezone")),
    parquet_case("parquet_epoch_millis", _pa("epoch_millis"), Refuse(r"dates that cannot be read \(40 rows")),
    parquet_case("parquet_nan_amount", _pa("nan"), Refuse(r"column 'amount': missing values \(1 row affected\)")),
    parquet_case("parquet_float_ids_with_missing", _pa("float_ids_nan"), Refuse(r"blank ids \(1 row affected\)"),
                 rows=_NUMERIC_ROWS),
    parquet_case("parquet_inf_amount", _pa("inf"), Refuse(r"column 'amount': infinite values \(1 row affected\)")),
    parquet_case("parquet_null_id", _pa("null_id"), Refuse(r"blank ids \(1 row affected\)")),
]


# --------------------------------------------------------------------------------------------
# Members
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Member:
    customer_id: str
    joined_at: str
    ended_at: str


# members as the CRM writes them; ``ends``: the ended_at each must read to (None: still running)
MEMBERS = (Member("张三", "2024-05-01", "9999-12-31"), Member("000010", "2024-12-20", ""),
           Member("000123", "2025-02-01", "2025-08-31"), Member("007788", "2025-03-15", "2026-03-14"),
           Member("88001", "2025-08-20", "9999-12-31 00:00:00"), Member("000099", "2025-06-01", "2025-11-30"))
MEMBER_ENDS = {"张三": None, "000010": None, "000123": dt.datetime(2025, 8, 31), "007788": None, "88001": None,
               "000099": dt.datetime(2025, 11, 30)}


@dataclass(frozen=True)
class MemberCase:
    name: str
    make: Callable[[], bytes]
    expect: Accept | Refuse     # Accept: ``note`` only (the ends are MEMBER_ENDS)
    mapping: dict | None = None
    options: dict = field(default_factory=dict)
    bug: str | None = None

    def write(self, folder: Path) -> Path:
        path = Path(folder) / "members.csv"
        path.write_bytes(self.make())
        return path


def members_csv(members: Sequence[Member] = MEMBERS, *, header=("customer_id", "joined_at", "tier", "ended_at"),
                **kw) -> Callable[[], bytes]:
    return lambda: render([list(header)] + [[m.customer_id, m.joined_at, "金卡", m.ended_at] for m in members], **kw)


MEMBER_CASES = [
    MemberCase("members_no_end_and_still_running",
               members_csv(), Accept(note=r"3 memberships read as still running .*2 with a 'no end' date.*1 ending "
                                          r"after the observation end 2025-12-31")),
    MemberCase("members_gbk_chinese_headers", members_csv(header=("会员号", "入会日期", "等级", "到期日"),
                                                          encoding="gbk", newline="\r\n", title="会员导出"),
               Accept(note="still running"),
               mapping={"customer_id": "会员号", "joined_at": "入会日期", "tier": "等级", "ended_at": "到期日"}),
    MemberCase("members_end_before_join",
               members_csv(MEMBERS[:2] + (Member("000123", "2025-08-31", "2025-02-01"),) + MEMBERS[3:]),
               Refuse(r"memberships that end before they start \(1 row affected\); e\.g\. '000123'\. Fix: check")),
    MemberCase("members_year_3025", members_csv(MEMBERS[:2] + (Member("000123", "3025-02-01", ""),) + MEMBERS[3:]),
               Refuse(r"column 'joined_at': dates with a year outside 1900-2098")),
]

# members whose ids lost their leading zeros (another system), against the transactions that kept them
MEMBERS_WITHOUT_ZEROS = tuple(replace(m, customer_id=m.customer_id.lstrip("0")) for m in MEMBERS)
