"""Bundled data sets: present, valid, documented, and (for simulated ones) reproducible."""
from __future__ import annotations

import pandas as pd
import pytest

from superkit.data import datasets, load_tables
from superkit.data.tables import resolve_path
from superkit.core.errors import DataError
from superkit.core.paths import DATASETS_DIR


def test_every_data_set_has_a_datasheet_with_source_period_and_columns():
    for name in ["coffee_club", "cdnow_sample", "cdnow", "apparel_club"]:
        text = (DATASETS_DIR / name / "README.md").read_text(encoding="utf-8")
        for needle in ["Source", "Period", "Rows"]:
            assert needle in text, (name, needle)


def test_coffee_club_tables_are_valid_and_match_the_datasheet():
    d = datasets.load("coffee_club")
    assert set(d) == {"transactions", "members", "events", "cohorts", "benefits", "choices"}
    assert d["transactions"]["customer_id"].nunique() == 2000
    sheet = (DATASETS_DIR / "coffee_club" / "README.md").read_text(encoding="utf-8")
    tx, mem = d["transactions"], d["members"]
    assert f"{len(tx):,} transaction rows ({(tx['amount'] < 0).sum():,} of them refunds)" in sheet
    assert f"{len(mem):,} members ({mem['ended_at'].isna().sum():,} still" in sheet
    assert f"{len(d['events']):,} engagement events" in sheet
    assert f"{len(d['cohorts']):,} cohort rows" in sheet
    truth = datasets.truth("coffee_club")
    assert f"spend × **{truth['true_causal_ratio']:.2f}**" in sheet
    assert f"{len(d['benefits'])} benefits in the catalog" in sheet
    assert f"{len(d['choices']):,} survey rows ({d['choices']['respondent'].nunique()} respondents)" in sheet


def test_coffee_club_datasheet_states_the_catalog_values_and_the_survey_truth():
    from superkit.analyses.benefits import catalog_per_member_year

    sheet = (DATASETS_DIR / "coffee_club" / "README.md").read_text(encoding="utf-8")
    cat = catalog_per_member_year(datasets.table("coffee_club", "benefits"), ["V1", "V2", "V3"]).set_index("benefit_id")
    truth = datasets.truth("coffee_club")["survey"]
    assert truth["true_wtp"] == datasets.COFFEE_SURVEY["true_wtp"]
    for b, w in truth["true_wtp"].items():
        assert f"| `{b}` | {cat.loc[b, 'value']:g} | {w:g} |" in sheet, b


def test_coffee_club_files_are_what_the_generator_makes(tmp_path):
    out = datasets.build_coffee_club(tmp_path)
    for table in ["transactions", "members", "events", "cohorts", "choices"]:
        a = pd.read_csv(out / f"{table}.csv", dtype=str)
        b = pd.read_csv(datasets.path("coffee_club", table), dtype=str)
        pd.testing.assert_frame_equal(a, b, obj=table)
    assert datasets.truth("coffee_club")["seed"] == datasets.COFFEE_CLUB["seed"]
    assert (out / "truth.json").read_text(encoding="utf-8") == \
        (DATASETS_DIR / "coffee_club" / "truth.json").read_text(encoding="utf-8")
    assert not (out / "benefits.csv").exists()       # the catalog is written by hand, not generated


def test_cdnow_loaders_read_the_files_lifetimes_ships():
    s = datasets.cdnow_sample()
    assert len(s) == 6919 and s["customer_id"].nunique() == 2357
    m = datasets.cdnow_master()
    assert m["customer_id"].nunique() == 23570
    assert s["timestamp"].min() == pd.Timestamp("1997-01-01")
    assert m["timestamp"].max() <= pd.Timestamp("1998-06-30")


def test_unknown_names_are_explained():
    with pytest.raises(DataError, match="no bundled data set"):
        datasets.path("nope", "transactions")
    with pytest.raises(DataError, match="no members table|only a transactions"):
        datasets.path("cdnow_sample", "members")
    with pytest.raises(DataError, match="not simulated"):
        datasets.truth("cdnow_sample")


def test_resolve_path_never_mixes_client_data_with_the_bundled_sample():
    assert resolve_path("", "members", client_data=False) == ("dataset", "coffee_club")
    assert resolve_path("", "members", client_data=True) is None
    assert resolve_path("none", "members", client_data=False) is None
    assert resolve_path(" my.csv ", "members", client_data=True) == "my.csv"
    assert resolve_path("cdnow_sample", "transactions", client_data=True) == ("dataset", "cdnow_sample")
    with pytest.raises(DataError, match="no members table was given, and the uplift test needs one"):
        resolve_path("none", "members", client_data=True, required=True, needed_for="the uplift test")


def test_load_tables_follows_the_path_rules(tmp_path):
    bundled = load_tables("", "", "none")
    assert bundled.sources == {"transactions": "bundled coffee_club (transactions)",
                               "members": "bundled coffee_club (members)", "events": "not given"}
    assert bundled.files["members"] == "members.csv" and bundled.events is None
    # a client's transactions: an empty members path means no members, never the bundled ones
    tx = tmp_path / "orders.csv"
    bundled.transactions.head(50).rename(columns={"amount": "paid"}).to_csv(tx, index=False)
    client = load_tables(str(tx), "", column_mapping={"transactions": {"amount": "paid"}})
    assert len(client.transactions) == 50 and client.members is None
    assert client.files == {"transactions": "orders.csv", "members": None}
    with pytest.raises(DataError, match="no members table was given, and the uplift test needs one"):
        load_tables(str(tx), "", column_mapping={"transactions": {"amount": "paid"}},
                    required=["members"], needed_for="the uplift test")
    with pytest.raises(DataError, match="unknown tables"):
        load_tables("", column_mapping={"orders": {}})
    cdnow = load_tables("cdnow_sample", "")
    assert cdnow.files == {"transactions": "cdnow_sample", "members": None}
    assert cdnow.transactions["customer_id"].nunique() == 2357
