"""`superkit score`: per-customer scores and fitted parameters from a summary file."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from superkit import models
from superkit.cli import main
from superkit.data.datasets import path as dataset_path


@pytest.fixture(scope="module")
def summary_file(tmp_path_factory):
    d = tmp_path_factory.mktemp("score")
    out = d / "summary.csv"
    assert main(["summarize", str(dataset_path("coffee_club", "transactions")),
                 "--observation-end", "2025-12-31", "--out", str(out)]) == 0
    return out


@pytest.mark.parametrize("model", ["bgnbd", "mbgnbd", "pareto_nbd"])
def test_score_writes_scores_and_params(summary_file, tmp_path, model):
    out, params = tmp_path / "scores.csv", tmp_path / "params.json"
    rc = main(["score", str(summary_file), "--model", model, "--horizon", "365", "--margin", "0.3",
               "--out", str(out), "--params-out", str(params)])
    assert rc == 0
    scores = pd.read_csv(out, index_col=0)
    summary = pd.read_csv(summary_file, index_col=0)
    assert len(scores) == len(summary)
    assert list(scores.columns) == ["p_alive", "expected_purchases", "expected_spend_per_purchase",
                                    "expected_spend", "clv"]
    assert scores["p_alive"].between(0, 1).all() and (scores["clv"] >= 0).all()
    # CLV is discounted margin: below 30% of the undiscounted spend
    assert (scores["clv"] <= 0.3 * scores["expected_spend"] + 1e-9).all()
    p = json.loads(params.read_text())
    names = {"bgnbd": ["r", "alpha", "a", "b"], "mbgnbd": ["r", "alpha", "a", "b"],
             "pareto_nbd": ["r", "alpha", "s", "beta"]}[model]
    assert list(p[model]) == names and list(p["gamma_gamma"]) == ["p", "q", "v"]
    # same numbers as the library call
    ref = models.fit_count_model(model, summary["frequency"], summary["recency"], summary["T"])
    assert p[model]["r"] == pytest.approx(ref.params_["r"], rel=1e-8)
    np.testing.assert_allclose(scores["p_alive"], ref.conditional_probability_alive(
        summary["frequency"], summary["recency"], summary["T"]), rtol=1e-8)


def test_score_refuses_a_horizon_in_the_wrong_unit(summary_file, tmp_path, capsys):
    rc = main(["score", str(summary_file), "--horizon", "365", "--unit", "W",
               "--out", str(tmp_path / "x.csv")])
    assert rc == 2
    err = capsys.readouterr().err
    assert "days, not weeks" in err and "Traceback" not in err
    assert not (tmp_path / "x.csv").exists()


def test_score_explains_no_repeat_buyers(tmp_path, capsys):
    s = pd.DataFrame({"customer_id": [f"c{i}" for i in range(30)], "frequency": 0.0,
                      "recency": 0.0, "T": np.arange(30) + 10.0, "monetary_value": 0.0})
    s.to_csv(tmp_path / "s.csv", index=False)
    rc = main(["score", str(tmp_path / "s.csv"), "--horizon", "90", "--out", str(tmp_path / "o.csv")])
    assert rc == 2 and "no repeat buyers" in capsys.readouterr().err


def test_score_missing_file_and_columns(tmp_path, capsys):
    assert main(["score", str(tmp_path / "nope.csv"), "--horizon", "9", "--out", "x.csv"]) == 2
    pd.DataFrame({"customer_id": ["a"], "frequency": [1]}).to_csv(tmp_path / "s.csv", index=False)
    assert main(["score", str(tmp_path / "s.csv"), "--horizon", "9", "--out",
                 str(tmp_path / "o.csv")]) == 2
    assert "missing" in capsys.readouterr().err
