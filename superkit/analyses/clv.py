"""Customer lifetime value (客户终身价值) and silent churn: the workflow of notebook 02.

Fit the purchase-count models (BG/NBD, MBG/NBD, Pareto/NBD from :mod:`superkit.models`) on a
calibration period, judge them on the holdout after it, pick the best, check Gamma-Gamma's
assumption, refit on all data and score every customer: P(alive), expected purchases, expected
spend and CLV (discounted margin, explicit time units), with bootstrap intervals over customers
(as CLVTools does) and the diagnostics a modeller looks at.
"""
from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from superkit.analyses.result import Result
from superkit.core import i18n
from superkit.core.checks import check_number, parse_date, require_columns
from superkit.core.errors import DataError, ModelError, ParameterError
from superkit.core.stats import percentile_interval
from superkit.data.store import query, time_span
from superkit.data.summary import UNIT_DAYS, summarize
from superkit.models.base import compress
from superkit.models.count import CountModel
from superkit.models.gamma_gamma import GammaGammaModel, customer_lifetime_value, gamma_gamma_check
from superkit.models.registry import COUNT_MODEL_LABELS, COUNT_MODELS, fit_count_model
from superkit.models.units import UNIT_NAMES, UNITS_PER_YEAR, check_horizon, check_summary_unit, unit_key

__all__ = [
    "COMPARE_MAX_CUSTOMERS",
    "ClvResult",
    "HOLDOUT_KEYS",
    "INTERVAL_METHODS",
    "REFIT_MAX_ROWS",
    "STEM",
    "SUMMARY_COLUMNS",
    "bootstrap_intervals",
    "calibration_overview",
    "calibration_vs_holdout",
    "check_dates_in_data",
    "compare_models",
    "comparison_table",
    "cumulative_tracking",
    "decile_overview",
    "decile_records",
    "decile_table",
    "expected_purchases_matrix",
    "holdout_evaluation",
    "interval_method_for",
    "interval_pairs",
    "models_json",
    "parameter_draw_intervals",
    "period_transactions",
    "probability_alive_matrix",
    "run",
    "score_customers",
    "select_model",
    "selection_reason",
]

SUMMARY_COLUMNS = ["frequency", "recency", "T", "monetary_value"]
STEM = "02_clv_churn"  # the notebook, and its catalogue of labels and texts (core/labels/02_clv_churn.yaml)


# --------------------------------------------------------------------------------------------
# scoring, holdout evaluation, model selection, bootstrap, deciles
# --------------------------------------------------------------------------------------------
def score_customers(summary: pd.DataFrame, model: str = "bgnbd", horizon: float = 365.0,
                    unit: str = "D", discount_rate: float = 0.1, margin: float = 1.0,
                    penalizer_coef: float = 0.0, fitted=None, start=None):
    """Fit ``model`` and Gamma-Gamma on a summary; score every customer.

    Returns ``(scores, fitted)``: scores has p_alive, expected_purchases (over ``horizon`` in
    ``unit``), expected_spend_per_purchase, expected_spend (undiscounted revenue over the horizon)
    and clv (discounted margin); fitted is ``{"model": count_model, "gamma_gamma": gg}``.
    """
    require_columns(summary, SUMMARY_COLUMNS, "summary",
                    fix="score a summary written by `superkit summarize`.")
    f, r, t, m = (summary[c].to_numpy(float) for c in SUMMARY_COLUMNS)
    check_summary_unit(t, unit)
    h = check_horizon(horizon, unit, max_T=float(np.max(t)))
    if fitted is None:
        cm = fit_count_model(model, f, r, t, penalizer_coef=penalizer_coef, start=start)
        gg = GammaGammaModel(penalizer_coef=penalizer_coef).fit(f, m)
    else:
        cm, gg = fitted["model"], fitted["gamma_gamma"]
    out = pd.DataFrame(index=summary.index)
    out["frequency"], out["recency"], out["T"], out["monetary_value"] = f, r, t, m
    out["p_alive"] = cm.conditional_probability_alive(f, r, t)
    out["expected_purchases"] = cm.conditional_expected_number_of_purchases_up_to_time(h, f, r, t)
    out["expected_spend_per_purchase"] = gg.conditional_expected_average_profit(f, m)
    out["expected_spend"] = out["expected_purchases"] * out["expected_spend_per_purchase"]
    out["clv"] = customer_lifetime_value(cm, gg, f, r, t, m, h, unit, discount_rate, margin)
    return out, {"model": cm, "gamma_gamma": gg}


# --------------------------------------------------------------------------------------------
# holdout evaluation, model selection, bootstrap, deciles
# --------------------------------------------------------------------------------------------
def holdout_evaluation(model: CountModel, summary: pd.DataFrame) -> dict:
    """Predicted vs actual repeat purchases in the holdout period (after calibration_end)."""
    require_columns(summary, ["frequency", "recency", "T", "frequency_holdout", "duration_holdout"],
                    "summary", fix="summarise with a calibration_end to get holdout columns.")
    f, r, t = (summary[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    dur = summary["duration_holdout"].to_numpy(float)
    pred = np.empty(len(f))
    for d in np.unique(dur):
        sel = dur == d
        pred[sel] = model.conditional_expected_number_of_purchases_up_to_time(
            float(d), f[sel], r[sel], t[sel])
    actual = summary["frequency_holdout"].to_numpy(float)
    err = pred - actual
    return {
        "predicted_total": float(pred.sum()),
        "actual_total": float(actual.sum()),
        "total_error_pct": float(100 * (pred.sum() - actual.sum()) / max(actual.sum(), 1e-12)),
        "mae_per_customer": float(np.mean(np.abs(err))),
        "rmse_per_customer": float(np.sqrt(np.mean(err ** 2))),
        "bias_per_customer": float(np.mean(err)),
        "n_customers": int(len(f)),
        "duration": float(np.max(dur)),
        "predicted": pred,
    }


def select_model(evaluations: dict, criterion: str = "mae_per_customer", lang: str = "en") -> tuple[str, str]:
    """Pick the model with the smallest holdout error per customer; return (name, reason), the
    reason in ``lang``."""
    ok = {k: v for k, v in evaluations.items() if v is not None}
    if not ok:
        raise ModelError("no model could be fitted. Remedy: add a penalty (penalizer_coef) or "
                         "use more data.")
    best = min(ok, key=lambda k: ok[k][criterion])
    return best, selection_reason(evaluations, best, criterion, lang)


def selection_reason(evaluations: dict, selected: str, criterion: str = "mae_per_customer",
                     lang: str = "en") -> str:
    """Why ``selected`` was chosen, in ``lang``: its holdout error ``criterion`` and the others'."""
    ok = {k: v for k, v in evaluations.items() if v is not None}
    crit = (i18n.text(STEM, f"row_{criterion}", lang) if i18n.has_text(STEM, f"row_{criterion}")
            else criterion.replace("_", " "))
    others = i18n.text(STEM, "list_separator", lang).join(
        i18n.text(STEM, "selection_other", lang, model=COUNT_MODEL_LABELS.get(k, k), value=v[criterion])
        for k, v in ok.items() if k != selected)
    return i18n.text(STEM, "selection_reason", lang, model=COUNT_MODEL_LABELS.get(selected, selected),
                     criterion=crit, value=ok[selected][criterion],
                     others=i18n.text(STEM, "selection_others", lang, others=others) if others else "")


HOLDOUT_KEYS = ("predicted_total", "actual_total", "total_error_pct", "mae_per_customer",
                "rmse_per_customer", "duration")  # holdout figures published per model


def compare_models(summary: pd.DataFrame, models=None, penalizer_coef: float = 0.0,
                   criterion: str = "mae_per_customer") -> dict:
    """Fit each count model on a calibration summary, evaluate it on the holdout, pick the best.

    ``summary``: from ``summarize(..., calibration_end=...)`` (frequency, recency, T and the holdout
    columns); ``models``: names from :data:`superkit.models.COUNT_MODELS` (default: all, in that order). A model whose
    fit fails with a :class:`ModelError` is kept out of the choice, its message under ``errors``.
    Returns ``{"fits": {name: model}, "evaluations": {name: holdout_evaluation or None},
    "errors": {name: message}, "selected": name, "selection_reason": text}``; raises ModelError
    when no model can be fitted.
    """
    names = list(COUNT_MODELS) if models is None else list(models)
    fits, evals, errors = {}, {}, {}
    for name in names:
        try:
            fits[name] = fit_count_model(name, summary["frequency"], summary["recency"], summary["T"],
                                         penalizer_coef=penalizer_coef)
            evals[name] = holdout_evaluation(fits[name], summary)
        except ModelError as exc:  # explained failure: keep the others
            errors[name], evals[name] = str(exc), None
    selected, reason = select_model(evals, criterion)
    return {"fits": fits, "evaluations": evals, "errors": errors, "selected": selected,
            "selection_reason": reason, "criterion": criterion}


def _row_label(key: str, lang: str) -> str:
    return i18n.text(STEM, f"row_{key}", lang) if i18n.has_text(STEM, f"row_{key}") else key


def comparison_table(comparison: dict, lang: str = "en") -> pd.DataFrame:
    """Parameters and holdout figures side by side, one column per fitted model (for display),
    the rows labelled in ``lang``."""
    fits, evals = comparison["fits"], comparison["evaluations"]
    shown = [m for m in HOLDOUT_KEYS if m != "duration"]
    tab = pd.DataFrame({COUNT_MODEL_LABELS.get(k, k): {**fits[k].params, **{m: v[m] for m in shown}}
                        for k, v in evals.items() if v is not None})
    tab.index = [_row_label(k, lang) for k in tab.index]
    return tab.rename_axis(i18n.text(STEM, "col_parameter", lang))


def calibration_overview(summary: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """The summary's columns described (customers, mean, spread, quartiles), labelled in ``lang``."""
    tab = summary.describe()
    tab.index = [i18n.text(STEM, f"stat_{k}", lang) if i18n.has_text(STEM, f"stat_{k}") else k for k in tab.index]
    tab = tab.rename(columns=i18n.column_labels(STEM, tab.columns, lang))
    return tab.rename_axis(i18n.text(STEM, "col_statistic", lang))


_DECILE_FORMATS = {"customers": "int", "clv_total": "money", "clv_mean": "money2", "p_alive_mean": "pct",
                   "expected_purchases": "int", "clv_share": "pct", "holdout_actual": "int",
                   "holdout_predicted": "int"}


def decile_overview(deciles: pd.DataFrame, lang: str = "en"):
    """:func:`decile_table` for display (a pandas ``Styler``): the columns and the decile labelled
    in ``lang``, the values written as the catalogue writes money, shares and counts."""
    names = i18n.column_labels(STEM, deciles.columns, lang)
    shown = deciles.rename(columns=names).rename_axis(i18n.text(STEM, "col_decile", lang))
    return shown.style.format({names.get(c, c): (lambda v, f=f: i18n.value_text({"format": f}, v, lang))
                               for c, f in _DECILE_FORMATS.items() if c in deciles.columns})


def models_json(comparison: dict) -> dict:
    """Published ``models`` entry: per model its params, holdout figures (:data:`HOLDOUT_KEYS`)
    and error message; None where the fit failed."""
    fits, evals, errors = comparison["fits"], comparison["evaluations"], comparison["errors"]
    return {k: {"params": fits[k].params if k in fits else None,
                "holdout": {m: v[m] for m in HOLDOUT_KEYS} if v is not None else None,
                "error": errors.get(k)} for k, v in evals.items()}


def interval_pairs(intervals: dict) -> dict:
    """``{name: {"lower": lo, "upper": hi}}`` (from :func:`bootstrap_intervals`) as
    ``{name: [lo, hi]}``."""
    return {k: [v["lower"], v["upper"]] for k, v in intervals.items()}


def decile_records(deciles: pd.DataFrame) -> list[dict]:
    """Rows of :func:`decile_table` as JSON-ready records ``{"decile": 1, column: value, ...}``."""
    return [{"decile": int(d), **{k: float(v) for k, v in row.items()}} for d, row in deciles.iterrows()]


def bootstrap_intervals(summary: pd.DataFrame, model: str, horizon: float, unit: str = "D",
                        discount_rate: float = 0.1, margin: float = 1.0, n_boot: int = 100,
                        seed: int = 0, level: float = 0.9, penalizer_coef: float = 0.0) -> dict:
    """Percentile bootstrap over customers (as CLVTools does) for the headline predictions.

    Each replicate redraws customers with replacement (as multinomial weights on the compressed
    rows), refits the count model and Gamma-Gamma, and recomputes: parameters, total CLV, total
    expected purchases over the horizon and mean P(alive) for the observed customers.
    """
    f, r, t, m = (summary[c].to_numpy(float) for c in ("frequency", "recency", "T", "monetary_value"))
    n = len(f)
    (uf, ur, ut, um), w0, inv = compress(f, r, t, m)
    rng = np.random.default_rng(seed)
    # score the distinct rows once per replicate, weight by the original counts
    rows = []
    cm_cls = COUNT_MODELS[model]
    for _ in range(n_boot):
        counts = rng.multinomial(n, w0 / w0.sum()).astype(float)
        try:
            cm = cm_cls(penalizer_coef=penalizer_coef).fit(uf, ur, ut, weights=counts)
            gg = GammaGammaModel(penalizer_coef=penalizer_coef).fit(uf, um, weights=counts)
        except (ModelError, DataError):
            continue
        row = _replicate(cm, gg, (uf, ur, ut, um), w0, n, horizon, unit, discount_rate, margin)
        if row is not None:
            rows.append(row)
    reps = pd.DataFrame(rows)
    out = _intervals(reps, level)
    return {"level": level, "n_boot": n_boot, "n_ok": int(len(reps)), "intervals": out,
            "replicates": reps, "method": "refit"}


def _replicate(cm, gg, rows, w0, n, horizon, unit, discount_rate, margin) -> dict | None:
    """One replicate's headline figures on the compressed ``rows`` (weights ``w0``, ``n``
    customers) and its parameters; None when the models cannot predict (e.g. Gamma-Gamma q <= 1)."""
    uf, ur, ut, um = rows
    try:
        clv = customer_lifetime_value(cm, gg, uf, ur, ut, um, horizon, unit, discount_rate, margin)
        ep = cm.conditional_expected_number_of_purchases_up_to_time(horizon, uf, ur, ut)
        pa = cm.conditional_probability_alive(uf, ur, ut)
    except (ModelError, DataError):
        return None
    if not (np.all(np.isfinite(clv)) and np.all(np.isfinite(ep))):
        return None
    row = {"clv_total": float(w0 @ clv), "expected_purchases_total": float(w0 @ ep),
           "p_alive_mean": float(w0 @ pa / n)}
    row.update({f"{cm.name}.{k}": v for k, v in cm.params.items()})
    row.update({f"gamma_gamma.{k}": v for k, v in gg.params.items()})
    return row


def _intervals(reps: pd.DataFrame, level: float) -> dict:
    """``{figure: {"lower", "upper"}}``: percentile intervals of each column of the replicates."""
    return {k: dict(zip(("lower", "upper"), percentile_interval(reps[k].to_numpy(), level)))
            for k in reps.columns} if len(reps) else {}


REFIT_MAX_ROWS = 20_000   # "auto": refit up to this many distinct customer rows, parameter draws above


def _with_params(model, log_params: np.ndarray):
    """A copy of a fitted model with other parameters (natural scale = exp of ``log_params``)."""
    out = copy.copy(model)
    out.params_ = pd.Series(np.exp(log_params), index=list(model.param_names))
    out.__dict__.pop("_cov", None)
    return out


def parameter_draw_intervals(summary: pd.DataFrame, fitted: dict, horizon: float, unit: str = "D",
                             discount_rate: float = 0.1, margin: float = 1.0, n_draws: int = 100,
                             seed: int = 0, level: float = 0.9, max_rows: int = 20_000,
                             scores: pd.DataFrame | None = None) -> dict:
    """Intervals for the headline predictions from parameter draws, without refitting.

    The count model's and Gamma-Gamma's log-parameters are drawn from their asymptotic normal
    distributions (the estimate and the inverse observed information, ``cov_``; the two models are
    fitted on separate likelihoods, so independently) and the same figures as
    :func:`bootstrap_intervals` are recomputed for the observed customers. This is the parametric
    counterpart of the bootstrap over customers: the same large-sample theory, one fit instead of
    one per replicate.

    With more than ``max_rows`` customers, each draw's totals are computed on a fixed random sample
    of ``max_rows`` customers and scaled by the ratio of the draw to the estimate on that sample
    (``total(draw) = total(estimate) * sample_total(draw) / sample_total(estimate)``): the
    parameters' uncertainty moves every customer's prediction together, so the ratio is nearly the
    same on any large sample, and the cost of the intervals no longer grows with the customers.
    ``scores``: :func:`score_customers`' table of the same summary and models, if already computed.
    """
    cm, gg = fitted["model"], fitted["gamma_gamma"]
    f, r, t, m = (summary[c].to_numpy(float) for c in ("frequency", "recency", "T", "monetary_value"))
    n = len(f)
    rng = np.random.default_rng(seed)
    scale = {}
    if n > max_rows:
        if scores is None:
            scores = score_customers(summary, cm.name, horizon, unit, discount_rate, margin,
                                     fitted={"model": cm, "gamma_gamma": gg})[0]
        scale = {"clv_total": float(scores["clv"].sum()),
                 "expected_purchases_total": float(scores["expected_purchases"].sum()),
                 "p_alive_mean": float(scores["p_alive"].mean())}
        pick = rng.choice(n, size=int(max_rows), replace=False)
        f, r, t, m = f[pick], r[pick], t[pick], m[pick]
        n = len(f)
    (uf, ur, ut, um), w0, _ = compress(f, r, t, m)
    covs = []
    for model, label in ((cm, COUNT_MODEL_LABELS.get(cm.name, cm.name)), (gg, "Gamma-Gamma")):
        cov = model.cov_
        if cov is None:
            raise ModelError(f"{label}: the information matrix is singular, so parameter draws cannot be "
                             "made. Remedy: use the bootstrap (interval_method='refit') or add a small "
                             "penalty (penalizer_coef).")
        covs.append(cov)
    cm_draws = rng.multivariate_normal(np.log(pd.Series(cm.params_).to_numpy(float)), covs[0], size=n_draws)
    gg_draws = rng.multivariate_normal(np.log(pd.Series(gg.params_).to_numpy(float)), covs[1], size=n_draws)
    rows = []
    for xc, xg in zip(cm_draws, gg_draws):
        row = _replicate(_with_params(cm, xc), _with_params(gg, xg), (uf, ur, ut, um), w0, n, horizon, unit,
                         discount_rate, margin)
        if row is not None:
            rows.append(row)
    reps = pd.DataFrame(rows)
    if scale and len(reps):   # the sample's figures at the estimate -> the full data's
        at = {"clv_total": customer_lifetime_value(cm, gg, uf, ur, ut, um, horizon, unit, discount_rate, margin),
              "expected_purchases_total": cm.conditional_expected_number_of_purchases_up_to_time(horizon, uf, ur, ut),
              "p_alive_mean": cm.conditional_probability_alive(uf, ur, ut) / n}
        for k, v in at.items():
            reps[k] = reps[k] * scale[k] / float(w0 @ v)
    out = _intervals(reps, level)
    return {"level": level, "n_boot": n_draws, "n_ok": int(len(reps)), "intervals": out,
            "replicates": reps, "method": "parametric"}


INTERVAL_METHODS = ("auto", "refit", "parametric")


def interval_method_for(summary: pd.DataFrame, method: str = "auto") -> str:
    """``refit`` or ``parametric`` for ``method``; ``auto`` refits when the summary has at most
    :data:`REFIT_MAX_ROWS` distinct rows (the bootstrap then takes seconds)."""
    if method not in INTERVAL_METHODS:
        raise ParameterError("interval_method", f"unknown method '{method}'",
                             fix=f"use one of {list(INTERVAL_METHODS)}.")
    if method != "auto":
        return method
    cols = [summary[c].to_numpy(float) for c in ("frequency", "recency", "T", "monetary_value")]
    return "refit" if len(compress(*cols)[1]) <= REFIT_MAX_ROWS else "parametric"


def decile_table(scores: pd.DataFrame, by: str = "clv", actual: pd.Series | None = None,
                 predicted: pd.Series | None = None) -> pd.DataFrame:
    """Customers in ten equal groups by ``by`` (decile 1 = highest), with totals and means."""
    s = scores.copy()
    rank = s[by].rank(method="first", ascending=False)
    s["decile"] = np.ceil(rank / len(s) * 10).clip(1, 10).astype(int)
    agg = {"customers": (by, "size"), "clv_total": ("clv", "sum"), "clv_mean": ("clv", "mean"),
           "p_alive_mean": ("p_alive", "mean"),
           "expected_purchases": ("expected_purchases", "sum")}
    if actual is not None:
        s["holdout_actual"] = actual.reindex(s.index).to_numpy(float)
        agg["holdout_actual"] = ("holdout_actual", "sum")
    if predicted is not None:
        s["holdout_predicted"] = np.asarray(predicted, float)
        agg["holdout_predicted"] = ("holdout_predicted", "sum")
    tab = s.groupby("decile").agg(**agg)
    tab["clv_share"] = tab["clv_total"] / tab["clv_total"].sum()
    return tab


# --------------------------------------------------------------------------------------------
# diagnostics
# --------------------------------------------------------------------------------------------
def calibration_vs_holdout(model: CountModel, summary: pd.DataFrame, max_frequency: int = 7):
    """Mean actual vs predicted holdout purchases, by calibration frequency (7 = "7 or more")."""
    ev = holdout_evaluation(model, summary)
    grp = np.minimum(summary["frequency"].to_numpy(int), max_frequency)
    df = pd.DataFrame({"calibration_frequency": grp,
                       "actual": summary["frequency_holdout"].to_numpy(float),
                       "predicted": ev["predicted"]})
    out = df.groupby("calibration_frequency").agg(customers=("actual", "size"),
                                                  actual=("actual", "mean"),
                                                  predicted=("predicted", "mean"))
    return out


def period_transactions(model: CountModel, summary: pd.DataFrame, max_frequency: int = 7,
                        n_sims: int = 20, seed: int = 0):
    """Customers by number of repeat purchases (0..max, last = "max or more"): actual vs model.

    The model's counts are simulated from the fitted model (its ``simulate``) with each customer's
    own T (lifetimes' ``plot_period_transactions``), averaged over ``n_sims`` draws.
    """
    t = summary["T"].to_numpy(float)
    actual = np.bincount(np.minimum(summary["frequency"].to_numpy(int), max_frequency),
                         minlength=max_frequency + 1)
    sims = np.zeros(max_frequency + 1)
    for k in range(n_sims):
        x = model.simulate(t, seed=seed + k)["frequency"].to_numpy(int)
        sims += np.bincount(np.minimum(x, max_frequency), minlength=max_frequency + 1)
    return pd.DataFrame({"actual": actual, "model": sims / n_sims},
                        index=pd.Index(range(max_frequency + 1), name="repeat_purchases"))


def probability_alive_matrix(model: CountModel, max_frequency: int, T: float, n_recency: int = 60):
    """P(alive) on a grid of frequency (rows 0..max) x recency (columns, 0..T), for age T."""
    rec = np.linspace(0, T, n_recency)
    f = np.arange(max_frequency + 1, dtype=float)
    F, R = np.meshgrid(f, rec, indexing="ij")
    R = np.where(F == 0, 0.0, np.maximum(R, 1e-9))
    pa = model.conditional_probability_alive(F.ravel(), R.ravel(), np.full(F.size, float(T)))
    return pd.DataFrame(pa.reshape(F.shape), index=f.astype(int), columns=rec)


def expected_purchases_matrix(model: CountModel, t: float, max_frequency: int, T: float,
                              n_recency: int = 60):
    """Expected purchases in the next ``t`` units on the frequency x recency grid (age T)."""
    rec = np.linspace(0, T, n_recency)
    f = np.arange(max_frequency + 1, dtype=float)
    F, R = np.meshgrid(f, rec, indexing="ij")
    R = np.where(F == 0, 0.0, np.maximum(R, 1e-9))
    e = model.conditional_expected_number_of_purchases_up_to_time(
        float(t), F.ravel(), R.ravel(), np.full(F.size, float(T)))
    return pd.DataFrame(e.reshape(F.shape), index=f.astype(int), columns=rec)


def cumulative_tracking(model: CountModel, transactions: pd.DataFrame, start, end, unit: str = "D",
                        step_days: int = 7) -> pd.DataFrame:
    """Cumulative repeat purchase days: actual vs expected by the (unconditional) model.

    Each customer's expected repeat purchases ``t`` units after their first purchase day are
    summed over customers, on a calendar grid every ``step_days`` days from ``start`` to ``end``.
    """
    per_unit = UNIT_DAYS[unit_key(unit)]
    start, end = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    # one SQL pass: each customer's distinct purchase days in the window -> repeat days per day and
    # first days per day (two small tables, whatever the number of rows)
    days = query(transactions, f"""
        WITH d AS (SELECT DISTINCT customer_id, CAST("timestamp" AS DATE) AS day FROM {{tx}}
                   WHERE CAST("timestamp" AS DATE) BETWEEN DATE '{start.date()}' AND DATE '{end.date()}'),
        f AS (SELECT customer_id, day, MIN(day) OVER (PARTITION BY customer_id) AS first FROM d)
        SELECT CAST(day AS TIMESTAMP) AS day, COUNT(*) FILTER (WHERE day > first) AS repeats,
               COUNT(*) FILTER (WHERE day = first) AS firsts FROM f GROUP BY day ORDER BY day""")
    grid = pd.date_range(start, end, freq=f"{step_days}D")
    day_values = days["day"].to_numpy()
    cum_repeats = np.concatenate([[0], np.cumsum(days["repeats"].to_numpy())])
    actual = cum_repeats[np.searchsorted(day_values, grid.to_numpy(), side="right")]
    has_first = days["firsts"].to_numpy() > 0
    f_days, counts = day_values[has_first], days["firsts"].to_numpy()[has_first]
    age = (grid.to_numpy()[:, None] - f_days[None, :]) / np.timedelta64(1, "D") / per_unit
    exp = model.expected_number_of_purchases_up_to_time(np.maximum(age, 0.0))
    expected = np.where(age > 0, exp, 0.0) @ counts
    return pd.DataFrame({"actual": actual.astype(float), "expected": expected}, index=grid)


# --------------------------------------------------------------------------------------------
# the analysis of notebook 02
# --------------------------------------------------------------------------------------------
@dataclass
class ClvResult(Result):
    """Everything notebook 02 shows and publishes (see :func:`run`)."""

    calibration: pd.DataFrame      # summary to calibration_end, with holdout columns
    full: pd.DataFrame             # summary to observation_end (what is scored)
    comparison: dict               # from compare_models
    gamma_gamma: GammaGammaModel
    gamma_gamma_check: dict
    scores: pd.DataFrame           # one row per customer: p_alive, churn_risk, expected purchases, CLV
    fitted: dict                   # {"model": count model refitted on all data, "gamma_gamma": ...}
    deciles: pd.DataFrame
    bootstrap: dict
    settings: dict                 # time_unit, horizon, horizon_years, discount_rate, margin, dates, n_boot

    @property
    def selected(self) -> str:
        return self.comparison["selected"]

    @property
    def selected_label(self) -> str:
        return COUNT_MODEL_LABELS[self.selected]

    @property
    def model(self) -> CountModel:
        """The selected model as fitted on the calibration period (judged on the holdout)."""
        return self.comparison["fits"][self.selected]

    @property
    def unit_name(self) -> str:
        return UNIT_NAMES[self.settings["time_unit"]]

    @property
    def clv_total(self) -> float:
        return float(self.scores["clv"].sum())

    @property
    def top_decile_share(self) -> float:
        return float(self.deciles["clv_share"].iloc[0])

    def period_transactions(self, **kw) -> pd.DataFrame:
        return period_transactions(self.model, self.calibration, **kw)

    def calibration_vs_holdout(self, **kw) -> pd.DataFrame:
        return calibration_vs_holdout(self.model, self.calibration, **kw)

    def cumulative_tracking(self, transactions: pd.DataFrame, **kw) -> pd.DataFrame:
        """Actual vs expected cumulative repeat purchase days from the first transaction to the
        observation end (the calibration fit, so the holdout part is a forecast)."""
        return cumulative_tracking(self.model, transactions, time_span(transactions)[0],
                                   self.settings["observation_end"], self.settings["time_unit"], **kw)

    def frequency_recency_matrices(self) -> tuple[pd.DataFrame, pd.DataFrame, float, int]:
        """P(alive) and expected purchases over the horizon on a frequency x recency grid for the
        oldest customers' age; returns (p_alive, expected, age T, max frequency shown)."""
        T_show = float(self.full["T"].max())
        max_f = int(min(self.full["frequency"].quantile(0.99), 60)) + 1
        m = self.fitted["model"]
        return (probability_alive_matrix(m, max_f, T_show),
                expected_purchases_matrix(m, self.settings["horizon"], max_f, T_show), T_show, max_f)

    def _money(self, value: float, lang: str) -> str:
        """Money as the catalogue writes CLV (¥110,671; in Chinese ¥11.1万)."""
        return i18n.value_text(i18n.catalogue()[STEM]["results"]["clv_total"], value, lang)

    def unit_text(self, lang: str = "en") -> str:
        """The time unit's name in ``lang`` (days / 天, weeks / 周)."""
        return i18n.text(STEM, f"unit_{self.settings['time_unit']}", lang)

    def headline_text(self, lang: str = "en") -> str:
        iv = self.bootstrap["intervals"].get("clv_total", {})   # none when no replicate could be fitted
        mae = self.comparison["evaluations"][self.selected]["mae_per_customer"]
        return i18n.text(STEM, "headline", lang, model=self.selected_label, mae=mae,
                         years=self.settings["horizon_years"], clv=self._money(self.clv_total, lang),
                         low=self._money(iv.get("lower"), lang), high=self._money(iv.get("upper"), lang),
                         share=self.top_decile_share)

    def selection_reason(self, lang: str = "en") -> str:
        """Why the selected model was chosen, in ``lang``."""
        c = self.comparison
        return selection_reason(c["evaluations"], self.selected, c.get("criterion", "mae_per_customer"), lang)

    def selection_reading(self, lang: str = "en") -> str:
        """The page's sentence on the chosen model: its reason, the sample it was chosen on, failed fits."""
        c = self.comparison
        out = i18n.text(STEM, "selected_line", lang, model=self.selected_label, reason=self.selection_reason(lang))
        if c.get("sampled"):
            out += i18n.text(STEM, "sampled_line", lang, n=c["n_customers"], total=len(self.calibration))
        return out + "".join("\n\n" + i18n.text(STEM, "failed_line", lang, model=COUNT_MODEL_LABELS.get(k, k), error=e)
                             for k, e in c["errors"].items())

    def gamma_gamma_message(self, lang: str = "en") -> str:
        """What the check of Gamma-Gamma's assumption found, in ``lang``."""
        ck = self.gamma_gamma_check
        return i18n.text(STEM, "gg_message_ok" if ck["ok"] else "gg_message_fails", lang,
                         correlation=ck["correlation"], n=ck["n_repeat_buyers"], threshold=ck["threshold"])

    def gamma_gamma_reading(self, lang: str = "en") -> str:
        """The page's paragraph on Gamma-Gamma: the verdict, the check, the fitted parameters."""
        gp = self.gamma_gamma.params
        return (i18n.text(STEM, "gg_holds" if self.gamma_gamma_check["ok"] else "gg_warning", lang)
                + self.gamma_gamma_message(lang)
                + i18n.text(STEM, "gg_fit", lang, p=gp["p"], q=gp["q"], v=gp["v"],
                            mean_spend=i18n.value_text({"format": "money2"},
                                                       self.gamma_gamma.population_mean_spend(), lang)))

    def clv_reading(self, lang: str = "en") -> str:
        """The page's sentence on total CLV, its interval and how the interval was made."""
        st, iv = self.settings, self.bootstrap["intervals"].get("clv_total", {})
        return i18n.text(STEM, "clv_line", lang, years=st["horizon_years"], margin=st["margin"],
                         rate=st["discount_rate"], clv=self._money(self.clv_total, lang),
                         low=self._money(iv.get("lower"), lang), high=self._money(iv.get("upper"), lang),
                         n_ok=self.bootstrap["n_ok"], method=i18n.text(STEM, f"method_{self.bootstrap['method']}", lang))

    def data_reading(self, n_transactions: int, lang: str = "en") -> str:
        """The page's sentence on the data: transactions, customers, the periods, the horizon."""
        st = self.settings
        return i18n.text(STEM, "data_line", lang, n_tx=int(n_transactions), n_customers=len(self.full),
                         calibration_end=st["calibration_end"], observation_end=st["observation_end"],
                         holdout=float(self.calibration["duration_holdout"].max()), unit=self.unit_text(lang),
                         years=st["horizon_years"], horizon=st["horizon"])

    def to_json(self, lang: str = "en", **files) -> dict:
        """The published results (:meth:`Result.to_json`), the sentences in ``lang``: the headline,
        the reason for the model and the message of Gamma-Gamma's check."""
        out = super().to_json(lang, **files)
        out["selection_reason"] = self.selection_reason(lang)
        out["gamma_gamma"]["check"]["message"] = self.gamma_gamma_message(lang)
        return out

    def _json(self, scores_file: str | None = None) -> dict:
        st, iv = self.settings, self.bootstrap["intervals"]
        return {
            "n_customers": int(len(self.full)),
            "time_unit": st["time_unit"], "horizon": float(st["horizon"]),
            "horizon_years": float(st["horizon_years"]),
            "discount_rate": float(st["discount_rate"]), "margin": float(st["margin"]),
            "calibration_end": st["calibration_end"], "observation_end": st["observation_end"],
            "models": models_json(self.comparison),
            "selected": self.selected, "selection_reason": self.comparison["selection_reason"],
            "gamma_gamma": {"params": self.gamma_gamma.params, "check": dict(self.gamma_gamma_check)},
            "scoring_params": self.fitted["model"].params,
            "clv_total": self.clv_total, "clv_total_interval": interval_pairs(iv).get("clv_total"),
            "expected_purchases_total": float(self.scores["expected_purchases"].sum()),
            "p_alive_mean": float(self.scores["p_alive"].mean()),
            "intervals": interval_pairs(iv),
            "bootstrap": {"n_boot": st["n_boot"], "n_ok": self.bootstrap["n_ok"],
                          "level": self.bootstrap["level"], "method": self.bootstrap["method"]},
            "models_compared_on": st["compared_on"],
            "clv_by_decile": decile_records(self.deciles),
            "scores_file": scores_file,
            "headline": self.headline,
        }


def check_dates_in_data(transactions: pd.DataFrame, calibration_end, observation_end) -> None:
    """Refuse dates that leave the holdout without data: with no purchase after ``calibration_end``
    the models cannot be compared, and an ``observation_end`` long after the last purchase makes
    every customer look gone (the summaries would be valid and every number wrong)."""
    cal = parse_date(calibration_end, "calibration_end", allow_empty=False)
    obs = parse_date(observation_end, "observation_end", allow_empty=False)
    if cal >= obs:
        return  # the summary refuses it with its own message
    row = query(transactions, f"""SELECT MIN("timestamp") AS first, MAX("timestamp") AS last,
        COUNT(*) FILTER (WHERE "timestamp" > TIMESTAMP '{cal}' AND "timestamp" <= TIMESTAMP
                         '{obs + pd.Timedelta(days=1)}') AS holdout FROM {{tx}}""").iloc[0]
    first, last = pd.Timestamp(row["first"]), pd.Timestamp(row["last"])
    span = f"the transactions run from {first.date()} to {last.date()}"
    if not row["holdout"]:
        raise DataError(f"no purchase between calibration_end {cal.date()} and observation_end {obs.date()}: "
                        f"{span}, so the holdout is empty and every customer would look inactive",
                        source="calibration_end", fix=f"set the dates inside the data, e.g. observation_end="
                        f"'{last.date()}' and calibration_end about a third of the way back from it.")
    gap = (obs - last.normalize()).days
    if gap > 0.5 * (obs - cal).days:
        raise DataError(f"observation_end {obs.date()} is {gap} days after the last purchase ({last.date()}), more than "
                        f"half the holdout", source="observation_end",
                        fix=f"set observation_end to the last day the export covers (e.g. '{last.date()}'); "
                            "customers cannot buy after the data ends.")


COMPARE_MAX_CUSTOMERS = 50_000   # the model comparison runs on a random sample above this


def run(tables, calibration_end: str = "2025-06-30", observation_end: str = "2025-12-31",
        time_unit: str = "D", horizon_years: float = 1.0, discount_rate: float = 0.10,
        margin: float = 0.30, penalizer_coef: float = 0.0, n_boot: int = 50,
        interval_method: str = "auto", max_customers: int = COMPARE_MAX_CUSTOMERS) -> ClvResult:
    """Notebook 02's analysis on :class:`superkit.data.Tables` (transactions required).

    Summarise to ``calibration_end`` (with the holdout to ``observation_end``) and to
    ``observation_end``; compare the count models on the holdout (on a random sample of
    ``max_customers`` customers when there are more: the comparison is a diagnostic, and the
    sample's fit is where the full fit starts); check and fit Gamma-Gamma; score everyone with the
    selected model refitted on all data over ``horizon_years`` (converted to ``time_unit``);
    ``n_boot`` replicates for 90% intervals, by the bootstrap (``refit``) or by parameter draws
    (``parametric``; ``auto``: :func:`interval_method`).
    """
    unit = unit_key(time_unit)
    check_number("horizon_years", horizon_years, low=0, low_open=True, fix="e.g. 1 for a year.")
    check_number("max_customers", max_customers, low=1000, integer=True, fix="e.g. 50000.")
    horizon = horizon_years * UNITS_PER_YEAR[unit]
    tx = tables.require("transactions", "lifetime value")
    check_dates_in_data(tx, calibration_end, observation_end)
    cal = summarize(tx, observation_end, calibration_end=calibration_end, unit=unit)
    full = summarize(tx, observation_end, unit=unit)
    sampled = len(cal) > max_customers
    compared = cal.sample(n=int(max_customers), random_state=0).sort_index() if sampled else cal
    comparison = compare_models(compared, penalizer_coef=penalizer_coef)
    comparison["n_customers"], comparison["sampled"] = int(len(compared)), bool(sampled)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        check = gamma_gamma_check(full["frequency"], full["monetary_value"])
    gg = GammaGammaModel(penalizer_coef=penalizer_coef).fit(full["frequency"], full["monetary_value"])
    start = comparison["fits"][comparison["selected"]].params if sampled else None
    scores, fitted = score_customers(full, comparison["selected"], horizon=horizon, unit=unit,
                                     discount_rate=discount_rate, margin=margin,
                                     penalizer_coef=penalizer_coef, start=start)
    scores["churn_risk"] = 1 - scores["p_alive"]
    method = interval_method_for(full, interval_method)
    if method == "refit":
        boot = bootstrap_intervals(full, comparison["selected"], horizon, unit, discount_rate, margin,
                                   n_boot=n_boot, seed=0, penalizer_coef=penalizer_coef)
    else:
        boot = parameter_draw_intervals(full, fitted, horizon, unit, discount_rate, margin,
                                        n_draws=n_boot, seed=0, scores=scores)
    settings = {"time_unit": unit, "horizon": horizon, "horizon_years": horizon_years,
                "discount_rate": discount_rate, "margin": margin, "calibration_end": calibration_end,
                "observation_end": observation_end, "n_boot": n_boot, "interval_method": method,
                "compared_on": int(len(compared))}
    return ClvResult(calibration=cal, full=full, comparison=comparison, gamma_gamma=gg,
                     gamma_gamma_check=check, scores=scores, fitted=fitted,
                     deciles=decile_table(scores, by="clv"), bootstrap=boot, settings=settings)
