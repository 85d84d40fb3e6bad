"""The reading rules on a corpus of real-looking exports (:mod:`corpus`), on both paths.

* Every transaction case is read by the pandas path (``read_transactions``, what ``superkit
  validate`` runs) and the engine path (``summarize`` of the file, what ``superkit summarize``
  runs): both refuse it with the same message, or both accept it with the same numbers
  (``summarize`` of the pandas output equals ``summarize`` of the file to the last digits, see
  ``SAME``) and the same notes and warnings; the outcome is the case's (the truth's rows and
  summary, or the message's pattern); the file is left as it was and nothing is written beside it.
* Members cases: ``9999-12-31`` and ends after the observation end read as still running, an end
  before the start refused; ids that lost their leading zeros are caught by ``cross_checks``.
* A few cases through the command line: the same exit codes, no traceback.
* Properties (hypothesis): amounts and times written in any accepted way read back to their
  value; shuffling rows, pasting overlapping exports together, and a purchase refunded on a day
  the customer bought never change the summary.
"""
from __future__ import annotations

import datetime as dt
import math
import re
import subprocess
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import corpus
from corpus import OBSERVATION_END, Accept, Refuse, Row
from superkit.core.errors import DataError
from superkit.data.contract import read_members, read_transactions
from superkit.data.duckdb_engine import DuckDBEngine
from superkit.data.quality import cross_checks
from superkit.data.summary import summarize

OBS = str(OBSERVATION_END)
ROOT = Path(__file__).resolve().parents[1]
TOLERANCE = {"check_exact": False, "rtol": 1e-9, "atol": 1e-9}   # float sums in another order
# the two paths must agree to the last bit: the summary adds amounts exactly (DECIMAL), so the order
# in which DuckDB's threads add a customer's days cannot change a digit
SAME = {"check_exact": True}


def _params(cases):
    return [pytest.param(c, id=c.name, marks=[pytest.mark.xfail(strict=True, reason=c.bug)] if c.bug else [])
            for c in cases]


def _outcome(read):
    """(result, None) or (None, the message of the DataError raised)."""
    try:
        return read(), None
    except DataError as exc:
        return None, str(exc)


def _truth_rows(rows, precision: str) -> list[tuple]:
    unit = "D" if precision == "day" else "min"
    return sorted((r.customer_id, pd.Timestamp(r.timestamp).floor(unit), float(r.amount)) for r in rows)


def _read_rows(df: pd.DataFrame, precision: str) -> list[tuple]:
    unit = "D" if precision == "day" else "min"
    return sorted(zip(df["customer_id"], df["timestamp"].dt.floor(unit), df["amount"]))


# --------------------------------------------------------------------------------------------
# The corpus, both paths
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", _params(corpus.TRANSACTION_CASES))
def test_transaction_case(case, tmp_path):
    path = case.write(tmp_path)
    before = path.read_bytes()
    frame, frame_error = _outcome(lambda: read_transactions(path, case.mapping, OBS, case.options))
    engine = DuckDBEngine()
    summary, summary_error = _outcome(lambda: summarize(path, OBS, mapping=case.mapping, options=case.options,
                                                        engine=engine))
    assert path.read_bytes() == before, "the input file was modified"
    assert list(tmp_path.iterdir()) == [path], "files were left beside the input"
    assert frame_error == summary_error, "the two paths disagree"
    if isinstance(case.expect, Refuse):
        assert frame_error is not None, "accepted, must be refused"
        assert re.search(case.expect.pattern, frame_error), frame_error
        return
    assert frame_error is None, frame_error
    expect: Accept = case.expect
    pd.testing.assert_frame_equal(summarize(frame, OBS), summary, **SAME)
    assert engine.notes == frame.attrs["notes"] and engine.warnings == frame.attrs["warnings"]
    # the truth: rows, ids, revenue, summary
    assert _read_rows(frame, expect.precision) == _truth_rows(expect.truth, expect.precision)
    assert set(frame["customer_id"]) == {r.customer_id for r in expect.truth}
    assert len(frame) == len(expect.truth)
    assert math.isclose(frame["amount"].sum(), float(sum(r.amount for r in expect.truth)), rel_tol=1e-12)
    pd.testing.assert_frame_equal(summary, corpus.reference_summary(expect.truth), **TOLERANCE)
    if expect.note:
        assert any(re.search(expect.note, n) for n in frame.attrs["notes"]), frame.attrs["notes"]
    if expect.warning:
        assert any(re.search(expect.warning, w) for w in frame.attrs["warnings"]), frame.attrs["warnings"]
    else:
        assert frame.attrs["warnings"] == []


def test_the_corpus_is_large_and_its_names_unique():
    names = [c.name for c in corpus.TRANSACTION_CASES]
    assert len(names) == len(set(names)) and len(names) >= 45


# --------------------------------------------------------------------------------------------
# Members
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", _params(corpus.MEMBER_CASES))
def test_member_case(case, tmp_path):
    path = case.write(tmp_path)
    before = path.read_bytes()
    df, error = _outcome(lambda: read_members(path, case.mapping, OBS, case.options))
    assert path.read_bytes() == before
    if isinstance(case.expect, Refuse):
        assert error is not None and re.search(case.expect.pattern, error), error
        fix = error.split("Fix:", 1)[1]
        assert not re.search(r"\b(drop|delete|remove)\b", fix, re.I), "the fix must not suggest deleting rows"
        return
    assert error is None, error
    ends = {cid: (None if pd.isna(t) else t.to_pydatetime()) for cid, t in zip(df["customer_id"], df["ended_at"])}
    assert ends == corpus.MEMBER_ENDS
    assert any(re.search(case.expect.note, n) for n in df.attrs["notes"]), df.attrs["notes"]


def test_ids_without_leading_zeros_are_caught_and_strip_leading_zeros_joins_them(tmp_path):
    tx_path = tmp_path / "orders.csv"
    tx_path.write_bytes(corpus.render(corpus.fields(corpus.TRUTH)))
    m_path = tmp_path / "members.csv"
    m_path.write_bytes(corpus.members_csv(corpus.MEMBERS_WITHOUT_ZEROS)())
    frames = {"transactions": read_transactions(tx_path, observation_end=OBS),
              "members": read_members(m_path, observation_end=OBS)}
    figures, warnings = cross_checks(frames)
    assert figures["members_among_buyers"] == 2 and figures["members"] == 6
    assert len(warnings) == 1
    assert re.search(r"only 2 of 6 member ids \(33%\).*Without leading zeros 83% would match.*strip_leading_zeros",
                     warnings[0]), warnings[0]
    strip = {"strip_leading_zeros": True}
    frames = {"transactions": read_transactions(tx_path, observation_end=OBS, options=strip),
              "members": read_members(m_path, observation_end=OBS, options=strip)}
    figures, warnings = cross_checks(frames)
    assert figures["members_among_buyers"] == 5 and warnings == []


def test_a_time_zone_aware_frame_is_read_like_its_parquet_file(tmp_path):
    beijing = pd.DatetimeIndex(["2025-01-05 01:30", "2025-01-06 10:00"]).tz_localize("Asia/Shanghai")
    frame = pd.DataFrame({"customer_id": ["张三", "张三"], "timestamp": beijing.tz_convert("UTC"),
                          "amount": [10.0, 12.0]})
    path = tmp_path / "orders.parquet"
    frame.to_parquet(path)
    _, file_error = _outcome(lambda: read_transactions(path))
    _, frame_error = _outcome(lambda: read_transactions(frame))
    assert file_error is not None and re.search("instants", file_error)
    assert frame_error is not None and re.search("instants", frame_error)


# --------------------------------------------------------------------------------------------
# The command line
# --------------------------------------------------------------------------------------------
CLI_CASES = ["gbk_excel", "utf16le_bom_tabs", "gb18030_chinese_headers_mapping", "fen_with_amount_unit",
             "mixed_offsets_with_timezone", "mixed_offsets_without_timezone", "placeholder_id_null"]
_FLAGS = {"encoding": "--encoding", "amount_unit": "--amount-unit", "timezone": "--timezone"}


def _flags(case) -> list[str]:
    out = [f"--map={k}={v}" for k, v in (case.mapping or {}).items()]
    for key, value in case.options.items():
        out += ["--strip-leading-zeros"] if key == "strip_leading_zeros" else [_FLAGS[key], str(value)]
    return out


@pytest.mark.parametrize("case", [c for c in corpus.TRANSACTION_CASES if c.name in CLI_CASES], ids=CLI_CASES)
def test_command_line(case, tmp_path):
    path, out = case.write(tmp_path), tmp_path / "summary.csv"
    cli = [sys.executable, "-m", "superkit.cli"]
    commands = [[*cli, "validate", "transactions", str(path), "--observation-end", OBS, *_flags(case)],
                [*cli, "summarize", str(path), "--observation-end", OBS, "--out", str(out), *_flags(case)]]
    runs = [subprocess.Popen(c, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for c in commands]
    results = [(p.wait(timeout=60), *p.communicate()) for p in runs]
    expected = 2 if isinstance(case.expect, Refuse) else 0
    for code, _, err in results:
        assert "Traceback" not in err, err
        assert code == expected, err
        if isinstance(case.expect, Refuse):
            assert re.search(case.expect.pattern, err), err
    if expected == 0:
        written = pd.read_csv(out, dtype={"customer_id": str}).set_index("customer_id")
        written.index = written.index.astype(str)
        pd.testing.assert_frame_equal(written, corpus.reference_summary(case.expect.truth), **TOLERANCE)
    else:
        assert not out.exists()


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------
PROPERTY = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _read_csv(table: list[list[str]], **kw) -> pd.DataFrame:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "orders.csv"
        path.write_bytes(corpus.render(table))
        return read_transactions(path, **kw)


def _summary_of(rows, **kw) -> pd.DataFrame:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "orders.csv"
        path.write_bytes(corpus.render(corpus.fields(rows)))
        return summarize(path, OBS, **kw)


@st.composite
def written_amounts(draw) -> tuple[int, str]:
    """(cents, the amount as an export writes it)."""
    cents = draw(st.integers(0, 100_000_000))
    negative = draw(st.booleans())
    body = f"{Decimal(cents) / 100:{',' if draw(st.booleans()) else ''}.2f}"
    if draw(st.booleans()):
        body = body.rstrip("0").rstrip(".") if "." in body else body
    mark = draw(st.sampled_from(["", "¥", "￥", "RMB ", "元", " 元"]))
    body = body + mark if "元" in mark else mark + body
    if negative:
        body = draw(st.sampled_from(["-{}", "({})"])).format(body)
    return (-cents if negative else cents), body


@PROPERTY
@given(st.lists(written_amounts(), min_size=1, max_size=8))
def test_any_written_amount_reads_back(amounts):
    table = [["customer_id", "timestamp", "amount"]] + [["张三", "2025-01-05", text] for _, text in amounts]
    df = _read_csv(table)
    assert df["amount"].tolist() == [cents / 100 for cents, _ in amounts]


def _h12(t: dt.datetime, pad: bool) -> str:
    return f"{t.hour % 12 or 12:{'02d' if pad else 'd'}}"


# each way of writing a time, and whether it keeps the seconds
TIME_FORMATS = {
    "iso_space": (lambda t, pad: f"{t:%Y-%m-%d %H:%M:%S}", True),
    "iso_t": (lambda t, pad: f"{t:%Y-%m-%dT%H:%M}", False),
    "slashed": (lambda t, pad: f"{t.year}/{t.month}/{t.day} {t:%H:%M}", False),
    "compact": (lambda t, pad: f"{t:%Y%m%d%H%M%S}", True),
    "chinese": (lambda t, pad: f"{t.year}年{t.month}月{t.day}日 {t:%H:%M}", False),
    "chinese_hms": (lambda t, pad: f"{t.year}年{t.month}月{t.day}日 {t.hour}时{t.minute}分{t.second}秒", True),
    "chinese_12h": (lambda t, pad: f"{t.year}年{t.month}月{t.day}日 {'上午' if t.hour < 12 else '下午'}"
                                   f"{_h12(t, pad)}:{t:%M}", False),
    "iso_12h": (lambda t, pad: f"{t:%Y-%m-%d} {'上午' if t.hour < 12 else '下午'}{_h12(t, pad)}:{t:%M}", False),
    "am_pm": (lambda t, pad: f"{t:%Y-%m-%d} {_h12(t, pad)}:{t:%M}:{t:%S} {'AM' if t.hour < 12 else 'PM'}", True),
}


@PROPERTY
@given(st.lists(st.tuples(st.datetimes(dt.datetime(1990, 1, 1), dt.datetime(2090, 12, 31, 23, 59, 59)),
                          st.sampled_from(sorted(TIME_FORMATS)), st.booleans()), min_size=1, max_size=8))
def test_any_written_time_reads_back_as_its_wall_clock(times):
    written, expected = [], []
    for t, name, pad in times:
        fmt, seconds = TIME_FORMATS[name]
        written.append(fmt(t, pad))
        expected.append(pd.Timestamp(t.replace(microsecond=0) if seconds else t.replace(second=0, microsecond=0)))
    table = [["customer_id", "timestamp", "amount"]] + [["000010", text, "1"] for text in written]
    df = _read_csv(table)
    assert df["timestamp"].tolist() == expected, written


CUSTOMERS = ("张三", "000010", "李四", "88001", "007788")


@st.composite
def transaction_tables(draw) -> list[Row]:
    """1-25 rows over 2025 (refunds included), each with its own order id; at least one purchase."""
    n = draw(st.integers(1, 25))
    rows = []
    for i in range(n):
        day = dt.datetime(2025, 1, 1) + dt.timedelta(days=draw(st.integers(0, 364)),
                                                     minutes=draw(st.integers(0, 24 * 60 - 1)))
        cents = draw(st.integers(-50_000, 500_000))
        rows.append(Row(draw(st.sampled_from(CUSTOMERS)), day, Decimal(cents) / 100, f"P{i:04d}"))
    assume(len(corpus.reference_summary(rows)) > 0)
    return rows


@PROPERTY
@given(st.data())
def test_shuffling_rows_never_changes_the_summary(data):
    rows = data.draw(transaction_tables())
    shuffled = data.draw(st.permutations(rows))
    pd.testing.assert_frame_equal(_summary_of(shuffled), corpus.reference_summary(rows), **TOLERANCE)


@PROPERTY
@given(st.data())
def test_pasting_overlapping_exports_never_changes_the_summary(data):
    rows = data.draw(transaction_tables())
    start = data.draw(st.integers(0, len(rows)))          # the second export starts here,
    end = data.draw(st.integers(start, len(rows)))        # the first one ends here
    pasted = rows[:end] + rows[start:]
    pd.testing.assert_frame_equal(_summary_of(pasted), corpus.reference_summary(rows), **TOLERANCE)


@PROPERTY
@given(st.data())
def test_a_purchase_refunded_on_a_buying_day_never_changes_the_summary(data):
    rows = data.draw(transaction_tables())
    buying = [r for r in rows if r.amount >= 0]
    assume(buying)
    day = data.draw(st.sampled_from(buying))
    cents = data.draw(st.integers(1, 1_000_000))
    at = day.timestamp.replace(hour=0, minute=0) + dt.timedelta(minutes=data.draw(st.integers(0, 24 * 60 - 1)))
    extra = [Row(day.customer_id, at, Decimal(cents) / 100, "X0001"),
             Row(day.customer_id, at, -Decimal(cents) / 100, "X0002")]
    position = data.draw(st.integers(0, len(rows)))
    pd.testing.assert_frame_equal(_summary_of(rows[:position] + extra + rows[position:]),
                                  corpus.reference_summary(rows), **TOLERANCE)


# --------------------------------------------------------------------------------------------
# A red-team pass: inputs that once gave a wrong number, a traceback or a misleading message
# --------------------------------------------------------------------------------------------
HEAD = "customer_id,timestamp,amount\n"


def _both(tmp_path, data: bytes, name: str = "t.csv", options=None, end=OBS):
    """Read ``data`` on both paths; they must agree. Returns (frame, None) or (None, message)."""
    path = tmp_path / name
    path.write_bytes(data)
    frame, error = _outcome(lambda: read_transactions(path, observation_end=end, options=options))
    summary, summary_error = _outcome(lambda: summarize(path, end, options=options))
    assert error == summary_error, "the two paths disagree"
    if frame is not None:
        pd.testing.assert_frame_equal(summarize(frame, end), summary, **SAME)
    return frame, error


def test_a_title_with_a_line_break_keeps_every_data_row(tmp_path):
    frame, error = _both(tmp_path, ('"订单导出\n2025年1月"\n' + HEAD + "A,2025-01-05,10\nA,2025-02-05,20\n"
                                    "B,2025-03-05,30\n").encode())
    assert error is None and len(frame) == 3 and any("skipped 2 lines" in n for n in frame.attrs["notes"])


@pytest.mark.parametrize("written, wall, options", [
    ("2025-01-05 8:05 PM +08:00", "2025-01-05 20:05", None),
    ("2025-01-05 12:05 AM +08:00", "2025-01-05 00:05", None),
    ("2025-01-05 PM 8:05", "2025-01-05 20:05", None),
    ("2025-01-05 8:05 PM Z", "2025-01-06 04:05", {"timezone": "Asia/Shanghai"}),
])
def test_am_and_pm_count_wherever_they_are_written(tmp_path, written, wall, options):
    frame, error = _both(tmp_path, (HEAD + f"A,{written},10\n").encode(), options=options)
    assert error is None and frame["timestamp"].iloc[0] == pd.Timestamp(wall)


@pytest.mark.parametrize("written", ["2025-01-05 08:05:03+99:99", "2025年1月5日 晚上12:30"])
def test_impossible_offsets_and_an_ambiguous_night_hour_are_refused(tmp_path, written):
    _, error = _both(tmp_path, (HEAD + f"A,{written},10\n").encode())
    assert error is not None and "dates that cannot be read" in error


def test_strip_leading_zeros_leaves_ids_that_are_not_all_digits_alone(tmp_path):
    frame, error = _both(tmp_path, (HEAD + "01A,2025-01-05,10\n1A,2025-02-05,20\n0012,2025-02-05,5\n").encode(),
                         options={"strip_leading_zeros": True})
    assert error is None and sorted(frame["customer_id"]) == ["01A", "12", "1A"]


def test_fen_read_on_an_export_in_yuan_is_warned_about(tmp_path):
    frame, error = _both(tmp_path, (HEAD + "A,2025-01-05,12.50\nA,2025-02-05,¥32.00\n").encode(),
                         options={"amount_unit": "fen"})
    assert error is None and any("probably in yuan" in w for w in frame.attrs["warnings"])


@pytest.mark.parametrize("amount", ["$12", "€12", "£12"])
def test_another_currency_is_refused_not_read_as_yuan(tmp_path, amount):
    _, error = _both(tmp_path, (HEAD + f"A,2025-01-05,{amount}\n").encode())
    assert error is not None and "not numbers" in error


def test_a_day_month_observation_end_is_refused_not_guessed():
    from superkit.core.checks import parse_date
    from superkit.core.errors import ParameterError

    for text in ("05/01/2025", "12/31/2025", "2025-12"):
        with pytest.raises(ParameterError, match="not guessed"):
            parse_date(text, "observation_end")
    assert parse_date("20251231", "observation_end") == parse_date("2025/12/31", "observation_end")


def test_zero_width_marks_around_an_id_are_trimmed(tmp_path):
    frame, error = _both(tmp_path, (HEAD + "123\u200b,2025-01-05,10\n123,2025-02-05,20\n").encode())
    assert error is None and set(frame["customer_id"]) == {"123"}
    _, error = _both(tmp_path, (HEAD + "\u200b,2025-01-05,10\n").encode())
    assert error is not None and "blank ids" in error


def test_float32_amounts_read_as_written():
    frame = pd.DataFrame({"customer_id": ["A", "A"], "timestamp": pd.to_datetime(["2025-01-05", "2025-02-05"]),
                          "amount": pd.Series([10.1, 20.2], dtype="float32")})
    assert summarize(frame, OBS)["monetary_value"].iloc[0] == 20.2


def test_broken_inputs_are_one_clear_error(tmp_path):
    import gzip

    import pyarrow as pa
    import pyarrow.parquet as pq

    whole = gzip.compress((HEAD + "A,2025-01-05,10\n" * 200).encode())
    _, error = _both(tmp_path, whole[:30], name="t.csv.gz")
    assert error is not None and "gzip" in error
    pq.write_table(pa.table({"customer_id": ["A"], "timestamp": ["2025-01-05"], "amount": [[1.0, 2.0]]}),
                   tmp_path / "l.parquet")
    _, error = _outcome(lambda: read_transactions(tmp_path / "l.parquet"))
    assert error is not None and "holds double[] values, not amounts" in error
    pq.write_table(pa.table({"customer_id": [True], "timestamp": ["2025-01-05"], "amount": [1.0]}),
                   tmp_path / "b.parquet")
    _, error = _outcome(lambda: read_transactions(tmp_path / "b.parquet"))
    assert error is not None and "holds boolean values, not ids" in error
    pq.write_table(pa.table({"customer_id": [123456789012.5], "timestamp": ["2025-01-05"], "amount": [1.0]}),
                   tmp_path / "f.parquet")
    _, error = _outcome(lambda: read_transactions(tmp_path / "f.parquet"))
    assert error is not None and "with decimals" in error
    periods = pd.DataFrame({"customer_id": ["A"], "timestamp": pd.period_range("2025-01-05", periods=1, freq="D"),
                            "amount": [1.0]})
    assert read_transactions(periods)["timestamp"].iloc[0] == pd.Timestamp("2025-01-05")


@pytest.mark.parametrize("data", [
    HEAD + "A,2025-01-05,10\nA,2025-02-05,20\r\n",               # an LF file whose last line ends in CRLF
    HEAD.replace("\n", "\r\n") + "A,2025-01-05,10\nA,2025-02-05,20\n",   # a CRLF header over LF rows
    "订单导出\r\n" + HEAD + "A,2025-01-05,10\nA,2025-02-05,20\n",
])
def test_lines_that_end_in_different_ways_read_alike(tmp_path, data):
    frame, error = _both(tmp_path, data.encode())
    assert error is None and frame["amount"].tolist() == [10.0, 20.0]


def test_an_observation_end_with_a_time_includes_that_moment(tmp_path):
    frame, error = _both(tmp_path, (HEAD + "A,2025-12-31 23:59:59,10\n").encode(), end="2025-12-31 23:59:59")
    assert error is None and len(frame) == 1
    _, error = _both(tmp_path, (HEAD + "A,2025-12-31 23:59:59,10\n").encode(), end="2025-12-31 23:59:58")
    assert error is not None and "after the observation end 2025-12-31 23:59:58" in error


def test_headers_with_line_breaks_and_two_field_titles_are_read(tmp_path):
    frame, error = _both(tmp_path, 'customer_id,"timestamp\n(下单)",amount\nA,2025-01-05,10\n'.encode())
    assert error is not None and "timestamp (下单)" in error    # the column is kept, under its own name
    data = "商户号,1600000001\n" + "customer_id,timestamp,amount,order_id,store\n" + \
        "".join(f"A,2025-01-0{d},10,O{d},S1\n" for d in range(1, 6))
    frame, error = _both(tmp_path, data.encode())
    assert error is None and len(frame) == 5 and any("skipped 1 line" in n for n in frame.attrs["notes"])


def test_a_utf32_export_is_read(tmp_path):
    frame, error = _both(tmp_path, (HEAD + "张三,2025-01-05,10\n").encode("utf-32"))
    assert error is None and frame["customer_id"].tolist() == ["张三"]


def test_messages_name_each_example_once_and_12e3_is_no_id(tmp_path):
    _, error = _both(tmp_path, (HEAD + "NA,2025-01-05,10\nNA,2025-01-06,10\nB,2025-01-06,10\n").encode())
    assert error is not None and error.count("'NA'") == 2         # in "such as 'NA'" and once in the examples
    _, error = _both(tmp_path, (HEAD + "12E3,2025-01-05,10\n").encode())
    assert error is not None and "scientific notation" in error


# --------------------------------------------------------------------------------------------
# The summary checked as it reads (one scan, ids once per distinct text) = the checked copy
# --------------------------------------------------------------------------------------------
def test_the_summary_checked_as_it_reads_equals_the_checked_copy_on_every_case(tmp_path):
    """Every transaction case summarised both ways: the same summary, notes and warnings, or the same
    message; and the one-scan way is taken for the clean files (else it would test nothing), with
    and without refunds (without, every day with a row is a purchase day and the test is skipped)."""
    taken, refunds = [], []
    for case in corpus.TRANSACTION_CASES:
        if case.bug:
            continue
        folder = tmp_path / case.name
        folder.mkdir()
        path = case.write(folder)
        fused, checked = DuckDBEngine(), DuckDBEngine(fuse=False)
        a, a_error = _outcome(lambda: summarize(path, OBS, mapping=case.mapping, options=case.options, engine=fused))
        b, b_error = _outcome(lambda: summarize(path, OBS, mapping=case.mapping, options=case.options, engine=checked))
        assert a_error == b_error, case.name
        assert not checked.one_pass
        if a_error is None:
            pd.testing.assert_frame_equal(a, b, **SAME)
            assert (fused.notes, fused.warnings) == (checked.notes, checked.warnings), case.name
        if fused.one_pass:
            taken.append(case.name)
            if not fused.no_refunds:
                refunds.append(case.name)
    assert {"parquet_typed", "parquet_date32"} <= set(taken), taken
    assert refunds and len(refunds) < len(taken), (refunds, taken)
    assert len(taken) >= 10, taken


def test_one_scan_hands_over_ids_that_merge_and_late_rows(tmp_path):
    """Two texts of one id (' 7' and '7'), and a row after the end, go the checked way."""
    path = tmp_path / "t.csv"
    path.write_text("customer_id,timestamp,amount\n 7,2025-01-05,10\n7,2025-02-05,12\n8,2025-03-01,5\n")
    engine = DuckDBEngine()
    s = summarize(path, OBS, engine=engine)
    assert not engine.one_pass and s.loc["7", "frequency"] == 1
    path.write_text("customer_id,timestamp,amount\n7,2025-01-05,10\n7,2099-02-05,12\n")
    _, error = _outcome(lambda: summarize(path, OBS, engine=engine))
    assert error is not None and not engine.one_pass


def test_one_scan_keeps_the_purchase_day_test_when_an_amount_is_negative(tmp_path):
    """A refund-only day is not a purchase day, on the one-scan way too; without negative amounts the
    test is skipped and every day with a row counts."""
    path = tmp_path / "t.csv"
    path.write_text("customer_id,timestamp,amount\n7,2025-01-05,10\n7,2025-02-05,-4\n7,2025-03-05,12\n"
                    "7,2025-03-05,-2\n8,2025-03-01,5\n8,2025-04-01,6\n")
    engine = DuckDBEngine()
    s = summarize(path, OBS, engine=engine)
    assert engine.one_pass and not engine.no_refunds
    assert s.loc["7", "frequency"] == 1 and s.loc["7", "monetary_value"] == pytest.approx(10.0)
    path.write_text("customer_id,timestamp,amount\n7,2025-01-05,10\n7,2025-02-05,4\n8,2025-03-01,5\n")
    s = summarize(path, OBS, engine=engine)
    assert engine.one_pass and engine.no_refunds and s.loc["7", "frequency"] == 1
