"""The data contract: every bad-input case gets one clear DataError; inputs are never modified."""
from __future__ import annotations

import pandas as pd
import pytest

from superkit.data.contract import read_cohorts, read_events, read_members, read_transactions, validate
from superkit.core.errors import DataError


def tx_frame():
    return pd.DataFrame({
        "customer_id": ["a", "a", "b", "c"],
        "timestamp": ["2024-01-01", "2024-01-05 10:30", "2024-02-01", "2024-03-01"],
        "amount": ["10.5", "-2", "7", "1,000"],
    })


def test_reads_valid_transactions_with_types():
    out = read_transactions(tx_frame())
    assert list(out.columns) == ["customer_id", "timestamp", "amount"]
    assert str(out["timestamp"].dtype).startswith("datetime64")
    assert out["amount"].tolist() == [10.5, -2.0, 7.0, 1000.0]  # refunds kept, thousands separator read


def test_input_is_never_modified():
    df = tx_frame()
    before = df.copy()
    read_transactions(df.rename(columns={"customer_id": "cid"}), mapping={"customer_id": "cid"})
    read_transactions(df)
    pd.testing.assert_frame_equal(df, before)


def test_mapping_from_user_names():
    df = tx_frame().rename(columns={"customer_id": "member_no", "timestamp": "order_date"})
    out = read_transactions(df, mapping={"customer_id": "member_no", "timestamp": "order_date"})
    assert out["customer_id"].tolist() == ["a", "a", "b", "c"]


def test_mapping_to_absent_column_is_explained():
    with pytest.raises(DataError, match="mapping points at .*nope"):
        read_transactions(tx_frame(), mapping={"customer_id": "nope"})


@pytest.mark.parametrize("drop", ["customer_id", "timestamp", "amount"])
def test_missing_column_names_the_column_and_the_fix(drop):
    with pytest.raises(DataError) as err:
        read_transactions(tx_frame().drop(columns=drop))
    msg = str(err.value)
    assert drop in msg and "missing" in msg and "Fix:" in msg and "--map" in msg


def test_unparseable_dates_counted_with_examples():
    df = tx_frame()
    df.loc[1, "timestamp"] = "31/31/2024"
    df.loc[2, "timestamp"] = "yesterday"
    with pytest.raises(DataError) as err:
        read_transactions(df)
    msg = str(err.value)
    assert "column 'timestamp'" in msg and "2 rows affected" in msg and "yesterday" in msg


def test_non_numeric_amounts():
    df = tx_frame()
    df.loc[0, "amount"] = "ten yuan"
    with pytest.raises(DataError, match=r"amount.*not numbers.*1 row affected"):
        read_transactions(df)


def test_absurd_amounts_refused():
    df = tx_frame()
    df.loc[0, "amount"] = "5e12"
    with pytest.raises(DataError, match="unit"):
        read_transactions(df)


def test_blank_ids():
    df = tx_frame()
    df.loc[[0, 3], "customer_id"] = ["", "  "]
    with pytest.raises(DataError, match=r"blank ids \(2 rows affected\)"):
        read_transactions(df)


def test_dates_after_observation_end():
    with pytest.raises(DataError, match=r"after the observation end 2024-02-15 \(1 row affected\)"):
        read_transactions(tx_frame(), observation_end="2024-02-15")
    # the whole last day counts as observed
    assert len(read_transactions(tx_frame(), observation_end="2024-03-01")) == 4


def test_empty_file(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("")
    with pytest.raises(DataError, match="empty"):
        read_transactions(p)
    p.write_text("customer_id,timestamp,amount\n")
    with pytest.raises(DataError, match="no rows"):
        read_transactions(p)


def test_binary_file(tmp_path):
    p = tmp_path / "t.csv"
    p.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 10)
    with pytest.raises(DataError, match="binary"):
        read_transactions(p)


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        read_transactions(tmp_path / "nope.csv")


def test_reads_csv_and_parquet_alike(tmp_path):
    df = tx_frame()
    df.to_csv(tmp_path / "t.csv", index=False)
    read = read_transactions(tmp_path / "t.csv")
    df.assign(amount=[10.5, -2, 7, 1000]).to_parquet(tmp_path / "t.parquet")
    pd.testing.assert_frame_equal(read, read_transactions(tmp_path / "t.parquet"))


def members_frame():
    return pd.DataFrame({"customer_id": ["a", "b"], "joined_at": ["2024-01-10", "2024-02-01"],
                         "tier": ["V1", "V2"], "fee": [99, 199], "ended_at": ["", "2024-05-01"]})


def test_members_valid_with_active_as_missing_end():
    m = read_members(members_frame())
    assert m["ended_at"].isna().tolist() == [True, False]


def test_duplicate_members():
    df = pd.concat([members_frame(), members_frame().iloc[[0]]])
    with pytest.raises(DataError, match=r"more than once \(2 rows affected\).*'a'"):
        read_members(df)


def test_membership_ending_before_start():
    df = members_frame()
    df.loc[1, "ended_at"] = "2023-01-01"
    with pytest.raises(DataError, match="end before they start"):
        read_members(df)


def test_negative_fee():
    df = members_frame()
    df.loc[0, "fee"] = -99
    with pytest.raises(DataError, match="negative membership fees"):
        read_members(df)


def test_events_unknown_kind():
    ev = pd.DataFrame({"customer_id": ["a", "b"], "timestamp": ["2024-01-01", "2024-01-02"],
                       "kind": ["share", "like"]})
    with pytest.raises(DataError, match="unknown event kinds.*like"):
        read_events(ev)
    assert read_events(ev.iloc[[0]])["kind"].tolist() == ["share"]


def test_cohorts_that_grow_are_refused():
    c = pd.DataFrame({"cohort": ["x"] * 3, "period": [0, 1, 2], "active": [100, 80, 85]})
    with pytest.raises(DataError, match="grow"):
        read_cohorts(c)


def test_cohorts_need_period_zero():
    c = pd.DataFrame({"cohort": ["x"] * 2, "period": [1, 2], "active": [80, 70]})
    with pytest.raises(DataError, match="period 0"):
        read_cohorts(c)


def test_validate_unknown_table():
    with pytest.raises(DataError, match="unknown table"):
        validate("orders", tx_frame())


def test_atomic_writes_leave_nothing_behind_on_failure(tmp_path):
    from superkit.report.publish import atomic_write_frame, atomic_write_text

    class Boom:
        def to_csv(self, *a, **k):
            raise RuntimeError("disk full")

    target = tmp_path / "out.csv"
    atomic_write_text(target, "old")
    with pytest.raises(RuntimeError):
        atomic_write_frame(Boom(), target)
    assert target.read_text() == "old"             # the previous file is untouched
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_written_files_are_readable_by_others_as_the_umask_allows(tmp_path):
    import importlib
    import os
    import stat

    import superkit.core.io as io_mod

    old = os.umask(0o022)
    try:
        importlib.reload(io_mod)               # the umask is read at import
        io_mod.atomic_write_text(tmp_path / "page.html", "<p>report</p>")
    finally:
        os.umask(old)
        importlib.reload(io_mod)
    mode = stat.S_IMODE((tmp_path / "page.html").stat().st_mode)
    assert mode == 0o644                       # not mkstemp's private 0600: a report is handed over


def test_a_gbk_export_is_read_as_gb18030_on_both_paths_never_with_replacement_characters(tmp_path):
    """Read with replacement characters, 张三 and 李四 would both become '����' and merge into one
    customer; both paths decode GBK strictly (as GB18030, its superset) and say so."""
    from superkit.data import summarize

    f = tmp_path / "orders.csv"
    f.write_bytes("customer_id,timestamp,amount\n张三,2025-01-01,10\n李四,2025-01-02,20\n".encode("gbk"))
    df = read_transactions(f)
    assert sorted(df["customer_id"]) == ["张三", "李四"]
    assert any("GB18030" in n for n in df.attrs["notes"])
    assert sorted(summarize(f, observation_end="2025-12-31").index) == ["张三", "李四"]
    # bytes that are neither UTF-8 nor GB18030 are refused, naming the fix
    f.write_bytes(b"customer_id,timestamp,amount\n\xff\xfe\xff,2025-01-01,10\n" * 3)
    with pytest.raises(DataError, match="neither UTF-8 nor GB18030") as err:
        read_transactions(f)
    assert "--encoding" in str(err.value)


# ------------------------------------------------------------------ events: referred_id (notebook 04)
def _referrals(referred, kinds=None):
    n = len(referred)
    return pd.DataFrame({"customer_id": [f"m{i}" for i in range(n)], "timestamp": ["2024-01-01"] * n,
                         "kind": kinds or ["referral"] * n, "referred_id": referred})


def test_events_referred_id_read_by_the_customer_id_rules():
    ev = _referrals([" 0007 ", None, "#N/A", 12.0, '="0042"'])
    out = read_events(ev)
    assert out["referred_id"].isna().tolist() == [False, True, True, False, False]
    assert out["referred_id"].dropna().tolist() == ["0007", "12", "0042"]   # trimmed, 12.0 is 12, Excel's ="" unwrapped
    stripped = read_events(ev, options={"strip_leading_zeros": True})["referred_id"].dropna().tolist()
    assert stripped == ["7", "12", "42"]                                    # the same option as customer_id
    # a float column (ids with blanks, as pandas reads them) gives the ids, not "7.0"
    floats = read_events(_referrals([7.0, float("nan")]))["referred_id"]
    assert floats.iloc[0] == "7" and floats.isna().iloc[1]
    # no column: no referred_id in the output (the events of notebook 01 are unchanged)
    assert "referred_id" not in read_events(ev.drop(columns="referred_id")).columns


def test_events_referred_id_bad_values_are_refused_with_a_fix():
    with pytest.raises(DataError, match="not referrals.*share.*Fix: give the referred"):
        read_events(_referrals(["x1", "x2"], kinds=["referral", "share"]))
    with pytest.raises(DataError, match="referred customer is the referrer"):
        read_events(_referrals(["m0", "x2"]))
    with pytest.raises(DataError, match="scientific notation"):
        read_events(_referrals(["x1", "1.2E+11"]))
