"""The command line: clear messages and exit codes, never a traceback."""
from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest


def superkit(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "superkit.cli", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    out = tmp_path_factory.mktemp("world")
    r = superkit("simulate", "--out", out, "--customers", 300, "--seed", 3)
    assert r.returncode == 0, r.stderr
    assert "300 customers" in r.stdout
    return out


def test_validate_each_table(world):
    for table in ["transactions", "members", "events", "cohorts"]:
        r = superkit("validate", table, world / f"{table}.csv")
        assert r.returncode == 0, r.stderr
        assert "valid" in r.stdout


def test_validate_a_benefit_catalog_and_a_survey(tmp_path):
    from superkit.core.paths import DATASETS_DIR

    r = superkit("validate", "benefits", DATASETS_DIR / "apparel_club" / "benefits.yaml")
    assert r.returncode == 0 and "14 rows, 6 of the six dimensions" in r.stdout, r.stderr
    r = superkit("validate", "choices", DATASETS_DIR / "coffee_club" / "choices.csv")
    assert r.returncode == 0 and "200 respondents, 1,600 choice tasks, 8 benefits shown" in r.stdout, r.stderr
    bad = tmp_path / "b.csv"
    bad.write_text("benefit_id,name,dimension,cost_per_member,cost_share_of_spend,perceived_value\n"
                   "a,Member day,会员日,0,0.01,100\n", encoding="utf-8")
    r = superkit("validate", "benefits", bad)
    assert r.returncode == 2 and "unknown benefit dimensions" in r.stderr and "Traceback" not in r.stderr
    assert "独家价格" in r.stderr                    # the fix lists the six, in Chinese too


def test_validate_bad_file_gives_message_not_traceback(world, tmp_path):
    df = pd.read_csv(world / "transactions.csv", dtype=str).rename(columns={"customer_id": "member_no"})
    df.loc[3, "amount"] = "abc"
    df.to_csv(tmp_path / "t.csv", index=False)
    r = superkit("validate", "transactions", tmp_path / "t.csv")
    assert r.returncode == 2 and "Traceback" not in r.stderr and "customer_id" in r.stderr
    r = superkit("validate", "transactions", tmp_path / "t.csv", "--map", "customer_id=member_no")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "not numbers (1 row affected)" in r.stderr
    r = superkit("validate", "transactions", tmp_path / "missing.csv")
    assert r.returncode == 2 and "file not found" in r.stderr
    r = superkit("validate", "transactions", tmp_path / "t.csv", "--map", "nonsense")
    assert r.returncode == 2 and "ours=theirs" in r.stderr


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_summarize_writes_csv_or_parquet(world, tmp_path, suffix):
    out = tmp_path / f"s{suffix}"
    r = superkit("summarize", world / "transactions.csv", "--observation-end", "2025-12-31",
                 "--calibration-end", "2025-06-30", "--unit", "W", "--out", out)
    assert r.returncode == 0, r.stderr
    df = pd.read_parquet(out) if suffix == ".parquet" else pd.read_csv(out)
    assert {"customer_id", "frequency", "recency", "T", "monetary_value", "frequency_holdout"} <= set(df.columns)
    assert len(df) == 300
    assert (df["recency"] <= df["T"]).all()


def test_summarize_refuses_data_after_observation_end_without_leaving_a_file(world, tmp_path):
    out = tmp_path / "s.csv"
    r = superkit("summarize", world / "transactions.csv", "--observation-end", "2024-06-30", "--out", out)
    assert r.returncode == 2 and "after the observation end" in r.stderr and "Traceback" not in r.stderr
    assert not out.exists() and not list(tmp_path.glob(".*tmp"))
