"""Summary engine: equals lifetimes' utilities where definitions coincide; reproduces CDNOW."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifetimes import BetaGeoFitter
from lifetimes.utils import calibration_and_holdout_data, summary_data_from_transaction_data

from references import FHL2005_BGNBD
from superkit.data import datasets
from superkit.core.errors import DataError
from superkit.data.simulate import simulate
from superkit.data.summary import render, summarize, summarize_to_file


@pytest.fixture(scope="module")
def cdnow():
    return datasets.cdnow_sample()


def _one_row_per_day(tx):
    """lifetimes averages holdout spend per row, we per day: make them coincide."""
    d = tx.assign(day=tx["timestamp"].dt.normalize())
    return d.groupby(["customer_id", "day"], as_index=False)["amount"].sum().rename(columns={"day": "timestamp"})


def test_equals_lifetimes_summary_on_simulated_data():
    w = simulate(800, seed=11, membership=False)
    ours = summarize(w.transactions, "2025-12-31", unit="D")
    ref = summary_data_from_transaction_data(w.transactions, "customer_id", "timestamp",
                                             monetary_value_col="amount", observation_period_end="2025-12-31",
                                             freq="D")
    ref = ref.loc[ours.index]
    for col in ["frequency", "recency", "T", "monetary_value"]:
        np.testing.assert_allclose(ours[col].to_numpy(), ref[col].to_numpy(), rtol=1e-12, atol=1e-9, err_msg=col)


def test_equals_lifetimes_calibration_and_holdout_in_weeks(cdnow):
    tx = _one_row_per_day(cdnow)
    ours = summarize(tx, "1998-06-30", calibration_end="1997-09-30", unit="W")
    ref = calibration_and_holdout_data(tx, "customer_id", "timestamp", calibration_period_end="1997-09-30",
                                       observation_period_end="1998-06-30", freq="D", freq_multiplier=7,
                                       monetary_value_col="amount")
    ref.index = ref.index.astype(str)
    ref = ref.loc[ours.index]
    pairs = {"frequency": "frequency_cal", "recency": "recency_cal", "T": "T_cal",
             "monetary_value": "monetary_value_cal", "frequency_holdout": "frequency_holdout",
             "monetary_value_holdout": "monetary_value_holdout", "duration_holdout": "duration_holdout"}
    for ours_col, ref_col in pairs.items():
        np.testing.assert_allclose(ours[ours_col].to_numpy(), ref[ref_col].to_numpy(), rtol=1e-12, atol=1e-9,
                                   err_msg=ours_col)


def test_bgnbd_params_match_fader_hardie_lee_2005(cdnow):
    s = summarize(cdnow, "1998-06-30", calibration_end="1997-09-30", unit="W")
    assert len(s) == 2357
    bg = BetaGeoFitter().fit(s["frequency"], s["recency"], s["T"])
    published = FHL2005_BGNBD
    for k, v in published.items():
        assert bg.params_[k] == pytest.approx(v, abs=1e-3), k


def test_refunds_are_netted_per_day_and_refund_only_days_are_not_purchases():
    tx = pd.DataFrame({
        "customer_id": ["a"] * 5,
        "timestamp": pd.to_datetime(["2024-01-01", "2024-01-03", "2024-01-03", "2024-01-10", "2024-01-20"]),
        "amount": [10.0, 30.0, -10.0, 20.0, -20.0],
    })
    s = summarize(tx, "2024-01-31")
    row = s.loc["a"]
    assert row["frequency"] == 2  # 01-03 (net 20) and 01-10; the refund-only 01-20 is no purchase
    assert row["recency"] == 9 and row["T"] == 30
    assert row["monetary_value"] == pytest.approx(20.0)


def test_file_and_frame_give_the_same_summary(tmp_path):
    w = simulate(300, seed=5, refund_rate=0.02)
    w.write(tmp_path)
    frame = summarize(w.transactions, "2025-12-31", calibration_end="2025-06-30", unit="W")
    from_csv = summarize(tmp_path / "transactions.csv", "2025-12-31", calibration_end="2025-06-30", unit="W")
    pd.testing.assert_frame_equal(frame, from_csv, check_exact=False, rtol=1e-9)
    w.transactions.to_parquet(tmp_path / "t.parquet")
    n = summarize_to_file(tmp_path / "t.parquet", tmp_path / "s.parquet", "2025-12-31", "2025-06-30", "W")
    back = pd.read_parquet(tmp_path / "s.parquet").set_index("customer_id")
    assert n == len(frame)
    pd.testing.assert_frame_equal(frame, back, check_exact=False, rtol=1e-9, check_names=False)


def test_file_errors_are_clear(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("cid,when,amt\n1,2024-01-01,5\n2,notadate,6\n")
    with pytest.raises(DataError, match="required columns"):
        summarize(p, "2024-12-31")
    with pytest.raises(DataError, match=r"dates that cannot be read \(1 row affected\).*notadate"):
        summarize(p, "2024-12-31", mapping={"customer_id": "cid", "timestamp": "when", "amount": "amt"})
    p.write_text("customer_id,timestamp,amount\n1,2024-01-01,five\n")
    with pytest.raises(DataError, match="not numbers"):
        summarize(p, "2024-12-31")
    p.write_text("customer_id,timestamp,amount\n,2024-01-01,5\n")
    with pytest.raises(DataError, match="blank ids"):
        summarize(p, "2024-12-31")
    p.write_text("customer_id,timestamp,amount\n1,2025-01-01,5\n")
    with pytest.raises(DataError, match="after the observation end"):
        summarize(p, "2024-12-31")


def test_calibration_after_observation_end_refused():
    with pytest.raises(DataError, match="calibration end"):
        render("t", "2024-01-01", "2024-06-01")


def test_unknown_unit_refused():
    with pytest.raises(DataError, match="unknown time unit"):
        render("t", "2024-01-01", unit="M")


def test_calibration_before_first_purchase_is_explained():
    tx = pd.DataFrame({"customer_id": ["a"], "timestamp": pd.to_datetime(["2024-05-01"]), "amount": [3.0]})
    with pytest.raises(DataError, match="no purchases on or before"):
        summarize(tx, "2024-12-31", calibration_end="2024-01-31")


def test_out_of_memory_is_one_clear_error(tmp_path):
    from superkit.core.errors import EngineError
    from superkit.data.duckdb_engine import DuckDBEngine

    w = simulate(3000, seed=2)
    w.transactions.to_parquet(tmp_path / "t.parquet")
    with pytest.raises(EngineError, match=r"ran out of memory \(limit 1MB\).*--memory-limit"):
        DuckDBEngine(memory_limit="1MB").summarize_to_file(tmp_path / "t.parquet", tmp_path / "s.csv",
                                                           "2025-12-31")
    assert not (tmp_path / "s.csv").exists()
