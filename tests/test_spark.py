"""The Spark engine in local mode: the same numbers as DuckDB on the same files.

``make test`` installs the ``spark`` extra (pyspark, sqlglot) and the machine has Java 17, so these
run in the suite, not skipped: the summary (``summary.sql`` on Spark SQL), every transaction-level
query of the analyses on transactions staged by Spark, the reading rules on Spark (what they read,
what they refuse), the command line and a report with ``engine: spark``.
"""
from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from same_numbers import assert_same_numbers
from superkit.core.errors import DataError
from superkit.data import simulate
from superkit.data.duckdb_engine import DuckDBEngine
from superkit.data.store import open_staged, query, stage

spark_engine = pytest.importorskip("superkit.data.spark_engine")
pytest.importorskip("pyspark")

END, CAL = "2025-12-31", "2025-06-30"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("spark_world")
    w = simulate(n_customers=1500, seed=11)
    w.write(folder)
    tx = pd.read_csv(folder / "transactions.csv")
    tx.to_parquet(folder / "transactions.parquet", index=False)
    return folder


@pytest.fixture(scope="module")
def spark():
    return spark_engine.session()


@pytest.fixture(scope="module")
def staged(world, spark, tmp_path_factory):
    """The same transactions staged by each engine."""
    out = tmp_path_factory.mktemp("staged")
    spark_engine.stage("transactions", world / "transactions.csv", out / "spark" / "transactions.parquet")
    stage("transactions", world / "transactions.csv", out / "duckdb" / "transactions.parquet")
    return {e: open_staged(out / e / "transactions.parquet", "transactions", END) for e in ("spark", "duckdb")}


@pytest.mark.parametrize("name", ["transactions.csv", "transactions.parquet"])
@pytest.mark.parametrize("calibration_end", [None, CAL])
def test_spark_summary_equals_duckdb(world, spark, name, calibration_end):
    a = DuckDBEngine().summarize(world / name, END, calibration_end)
    b = spark_engine.SparkEngine().summarize(world / name, END, calibration_end)
    assert len(a) > 1000 and a["frequency"].sum() > 0
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12, atol=1e-9)


def test_staged_by_spark_equals_staged_by_duckdb(staged):
    assert staged["spark"].engine == "spark" and staged["duckdb"].engine == "duckdb"
    assert len(staged["spark"]) == len(staged["duckdb"])
    sql = ("SELECT customer_id, COUNT(*) AS n, SUM(CAST(amount AS DECIMAL(38, 6))) AS revenue, "
           'MIN("timestamp") AS first FROM {tx} GROUP BY customer_id ORDER BY customer_id')
    pd.testing.assert_frame_equal(query(staged["spark"], sql), query(staged["duckdb"], sql), check_dtype=False)


def test_the_analyses_give_the_same_numbers_on_spark(staged, world):
    from superkit.analyses import clv, super_users, uplift
    from superkit.data import read_members

    members = read_members(world / "members.csv")
    a = super_users.score_criteria(staged["spark"], members, None, END).table
    b = super_users.score_criteria(staged["duckdb"], members, None, END).table
    pd.testing.assert_frame_equal(a, b)
    pa, pb = (uplift.build_panel(staged[e], members, END) for e in ("spark", "duckdb"))
    np.testing.assert_allclose(pa.spend, pb.spend, rtol=1e-12)
    np.testing.assert_allclose(pa.member_spend, pb.member_spend, rtol=1e-12)
    assert (pa.entry == pb.entry).all() and (pa.customer_ids == pb.customer_ids).all()
    ca, cb = (uplift.span_cells(staged[e], members, pa.start, pa.end) for e in ("spark", "duckdb"))
    for field in ("customer", "month", "state", "exposure", "spend", "purchases"):
        np.testing.assert_allclose(getattr(ca, field), getattr(cb, field), rtol=1e-12)
    model = clv.compare_models(clv.summarize(staged["duckdb"], END, calibration_end=CAL))["fits"]["bgnbd"]
    ta, tb = (clv.cumulative_tracking(model, staged[e], "2024-01-01", END) for e in ("spark", "duckdb"))
    pd.testing.assert_frame_equal(ta, tb)
    # the summary of Spark-staged transactions runs on Spark, and agrees
    pd.testing.assert_frame_equal(clv.summarize(staged["spark"], END), clv.summarize(staged["duckdb"], END),
                                  check_exact=False, rtol=1e-12, atol=1e-9)


def test_the_data_quality_profile_on_spark(staged):
    from superkit.data.quality import table_profile

    a, b = table_profile("transactions", staged["spark"]), table_profile("transactions", staged["duckdb"])
    assert a.keys() == b.keys()
    for k in a:
        if isinstance(a[k], float):
            assert a[k] == pytest.approx(b[k], rel=1e-12), k
        else:
            assert a[k] == b[k], k


def test_spark_reads_typed_and_written_forms_the_same(tmp_path, spark):
    rows = pd.DataFrame({"member": ["00012", "00012", "7", "7"],
                         "paid_at": ["2025-01-05 10:00:00", "2025/1/9", "2025-02-01", "2025-03-01 08:30"],
                         "total": ["¥1,200.50", "300元", "(20.00)", "45"]})
    rows.to_csv(tmp_path / "t.csv", index=False)
    mapping = {"customer_id": "member", "timestamp": "paid_at", "amount": "total"}
    a = DuckDBEngine().summarize(tmp_path / "t.csv", "2025-03-31", mapping=mapping)
    b = spark_engine.SparkEngine().summarize(tmp_path / "t.csv", "2025-03-31", mapping=mapping)
    pd.testing.assert_frame_equal(a, b)
    assert list(b.index) == ["00012", "7"]          # leading zeros kept as written
    fen = spark_engine.SparkEngine().summarize(tmp_path / "t.csv", "2025-03-31", mapping=mapping,
                                               options={"amount_unit": "fen", "strip_leading_zeros": True})
    assert list(fen.index) == ["12", "7"]
    assert fen.loc["12", "monetary_value"] == pytest.approx(3.0)   # 300 fen on the repeat day


@pytest.mark.parametrize("column, value, message", [
    ("timestamp", "2025年1月5日", "Spark engine cannot read"),
    ("timestamp", "", "missing dates"),
    ("customer_id", "", "missing"),
    ("amount", "abc", "Spark engine cannot read"),
    ("amount", "2000000000", "amounts of 1,000,000,000 or more"),
    ("timestamp", "2026-03-01", "after the observation end"),
])
def test_spark_refuses_what_it_cannot_read(tmp_path, spark, column, value, message):
    rows = pd.DataFrame({"customer_id": ["a", "b", "c"], "timestamp": ["2025-01-05", "2025-01-06", "2025-01-07"],
                         "amount": ["10", "20", "30"]})
    rows.loc[1, column] = value
    rows.to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(DataError, match=message):
        spark_engine.SparkEngine().summarize(tmp_path / "t.csv", "2025-12-31")


def test_spark_applies_the_order_rules(tmp_path, spark):
    rows = pd.DataFrame({"customer_id": ["a", "a", "a", "b"], "order_id": ["o1", "o1", "o2", "o3"],
                         "timestamp": ["2025-01-05", "2025-01-05", "2025-02-05", "2025-01-07"],
                         "amount": [10, 10, 5, 30]})
    rows.to_csv(tmp_path / "t.csv", index=False)
    engine = spark_engine.SparkEngine()
    out = engine.summarize(tmp_path / "t.csv", "2025-12-31")
    assert out.loc["a", "frequency"] == 1 and out.loc["a", "monetary_value"] == 5
    assert any("1 row that repeats" in n for n in engine.notes)
    rows.loc[3, "order_id"] = "o1"
    rows.to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(DataError, match="more than one customer"):
        engine.summarize(tmp_path / "t.csv", "2025-12-31")


def test_summarize_engine_spark_on_the_command_line(world, tmp_path, capsys, spark):
    from superkit.cli import main

    assert main(["summarize", str(world / "transactions.csv"), "--observation-end", END, "--engine", "spark",
                 "--out", str(tmp_path / "s.csv")]) == 0
    assert main(["summarize", str(world / "transactions.csv"), "--observation-end", END,
                 "--out", str(tmp_path / "d.csv")]) == 0
    a, b = pd.read_csv(tmp_path / "s.csv"), pd.read_csv(tmp_path / "d.csv")
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12)


def test_a_report_with_engine_spark_publishes_the_duckdb_numbers(world, tmp_path):
    """01, 02 and 04 of the same data, staged and queried by each engine: the same published JSON."""
    from superkit.report.run import build_report

    results = {}
    for engine in ("spark", "duckdb"):
        cfg = tmp_path / f"{engine}.yml"
        cfg.write_text(json.dumps({"engine": engine, "data": {"transactions": str(world / "transactions.csv"),
                                                            "members": str(world / "members.csv")},
                                   "parameters": {"all": {"observation_end": END},
                                                  "02_clv_churn": {"n_boot": 5}}}), encoding="utf-8")
        rep = build_report(cfg, tmp_path / f"out_{engine}", only=["01_super_users", "02_clv_churn",
                                                                   "04_spend_uplift"], progress=False)
        assert rep.ok, [(r.stem, r.error) for r in rep.runs]
        results[engine] = json.loads((rep.path / "results.json").read_text(encoding="utf-8"))
        assert json.loads((rep.path / "run.json").read_text(encoding="utf-8"))["engine"] == engine
    assert_same_numbers(results["spark"], results["duckdb"], rel=1e-6)
    shutil.rmtree(tmp_path, ignore_errors=True)
