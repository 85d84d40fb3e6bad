"""Figures of the analyses, drawn onto an ``ax`` you pass (lifetimes' ``plotting`` manner), in Chinese
and English on any machine.

Each figure function takes the analysis's numbers and ``ax=`` (or ``axes=`` for two panels; a new
figure when omitted), labels the axes with units and returns the axes; the notebook sets the title
that states the finding. Save with :func:`superkit.report.publish.save_figure`.

Fonts: matplotlib's default font has no Chinese glyphs, so "复购频次" comes out as empty boxes. A CJK font is
added to the fallback list when one is installed (PingFang / Heiti on macOS, Microsoft YaHei / SimHei
on Windows, Noto Sans CJK / Source Han Sans / WenQuanYi on Linux); when none is, :func:`label` keeps
the English part of "English (中文)" labels, so a figure never shows boxes.
"""
from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import pandas as pd

from superkit.data.spec import BENEFIT_DIMENSIONS

__all__ = [
    "CJK_FONTS",
    "DIMENSION_COLOURS",
    "LIGHT_COLOURS",
    "PHASE_COLOURS",
    "bundle_matrix",
    "calendar_forecast",
    "calibration_vs_holdout",
    "cjk_font",
    "clv_deciles",
    "criteria_by_status",
    "cumulative_tracking",
    "discounted_value",
    "event_study",
    "figure_language",
    "four_readings",
    "frequency_recency_heatmap",
    "gate_funnel",
    "joins_by_channel",
    "keep_tier_curve",
    "kpi_lights",
    "label",
    "lorenz",
    "mode_comparison",
    "period_transactions",
    "phase_chart",
    "plan_pnl",
    "plan_tornado",
    "survival_and_renewal",
    "theta_shift",
    "tier_economics",
    "tier_sensitivity",
    "use_style",
    "value_frontier",
    "wtp_comparison",
]

CJK_FONTS = (
    "PingFang SC", "Hiragino Sans GB", "Heiti SC", "STHeiti",         # macOS
    "Microsoft YaHei", "SimHei", "DengXian",                          # Windows
    "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN",
    "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Droid Sans Fallback",  # Linux
    "Arial Unicode MS",
)
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
_PAREN = re.compile(r"\s*[(（][^()（）]*[\u3400-\u9fff][^()（）]*[)）]")


_CJK_FILES = re.compile(r"wqy|NotoSans(Mono)?CJK|NotoSansSC|SourceHanSans|msyh|simhei|PingFang|STHeiti|"
                        r"Hiragino Sans GB|DroidSansFallback|Deng", re.I)


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The name of an installed font with Chinese glyphs, or None."""
    from matplotlib import font_manager

    fm = font_manager.fontManager

    def known():
        installed = {f.name for f in fm.ttflist}
        return next((name for name in CJK_FONTS if name in installed), None)

    found = known()
    if found is None:
        # matplotlib's font cache does not see fonts installed after it was built: look on disk
        for path in font_manager.findSystemFonts():
            if _CJK_FILES.search(path.rsplit("/", 1)[-1]):
                try:
                    fm.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    continue
        found = known()
    return found


def use_style() -> str | None:
    """Put an installed CJK font behind matplotlib's default font (glyph fallback); return its name."""
    import matplotlib as mpl

    font = cjk_font()
    if font is not None:
        # glyph fallback works across an explicit family list (a generic family resolves to one font)
        first = mpl.rcParams["font.sans-serif"][0]
        mpl.rcParams["font.family"] = [first, font]
    mpl.rcParams["axes.unicode_minus"] = False
    return font


def figure_language(lang: str) -> str:
    """The language a figure's text is drawn in: ``"zh"`` when Chinese is asked for and a CJK font is
    installed, else ``"en"`` (a figure never shows boxes)."""
    from superkit.core.i18n import check_language

    return "zh" if check_language(lang) == "zh" and cjk_font() is not None else "en"


def label(text: str, cjk_available: bool | None = None) -> str:
    """``"gives feedback (提意见)"`` as it is when Chinese can be drawn, else ``"gives feedback"``."""
    ok = cjk_font() is not None if cjk_available is None else cjk_available
    if ok or not _CJK.search(text):
        return text
    out = _PAREN.sub("", text)
    return _CJK.sub("", out).strip() if _CJK.search(out) else out.strip()


def _ax(ax, figsize):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=figsize)
    return ax


# --------------------------------------------------------------------------------------------
# 01 super users
# --------------------------------------------------------------------------------------------
def _t01(key: str, lang: str, **values) -> str:
    from superkit.core.i18n import text

    return text("01_super_users", key, lang, **values)


def gate_funnel(funnel: pd.Series, ax=None, lang: str = "en"):
    """Customers passing each selection gate (index paid / paid_again / member), as horizontal bars
    with counts and shares; gate names and axis in ``lang``."""
    from superkit.core.i18n import has_text

    lang = figure_language(lang)
    ax = _ax(ax, (8, 2.8))
    names = [_t01(f"gate_{k}", lang) if has_text("01_super_users", f"gate_{k}") else str(k) for k in funnel.index]
    ax.barh(names[::-1], funnel.values[::-1], color=["#1d4ed8", "#60a5fa", "#bfdbfe"][::-1])
    for y, v in enumerate(funnel.values[::-1]):
        ax.text(v, y, f" {v:,} ({v / funnel.iloc[0]:.0%})", va="center")
    ax.set_xlabel(_t01("gates_xlabel", lang))
    ax.set_xlim(0, funnel.iloc[0] * 1.25)
    return ax


def lorenz(conc, ax=None, lang: str = "en", profit=None):
    """The Lorenz curve of revenue with the diagonal, the top-20% point and the 80/20 claim; with
    ``profit`` (the profit concentration) its curve too, and the top-20% point marked on it (the
    claim is about profit)."""
    lang = figure_language(lang)
    ax = _ax(ax, (6.5, 5))
    lc = conc.lorenz
    x, y = lc["customer_share"] * 100, lc["revenue_share"] * 100
    ax.plot(x, y, color="#1d4ed8", lw=2.2, label=_t01("lorenz_revenue", lang))
    if profit is not None:
        pc = profit.lorenz
        ax.plot(pc["customer_share"] * 100, pc["revenue_share"] * 100, color="#15803d", lw=2.2, ls="-.",
                label=_t01("lorenz_profit", lang))
    ax.plot([0, 100], [0, 100], color="grey", ls="--", lw=1, label=_t01("lorenz_equal", lang))
    ax.fill_between(x, y, x, color="#1d4ed8", alpha=0.08)
    ax.axvline(80, color="#c2410c", lw=1, ls=":")
    marked = profit if profit is not None else conc
    ax.annotate(_t01("lorenz_note", lang, share=marked.top20_share,
                     what=_t01("word_profit" if profit is not None else "word_revenue", lang)),
                xy=(80, (1 - marked.top20_share) * 100), xytext=(30, 62),
                arrowprops=dict(arrowstyle="->", color="#c2410c"), color="#c2410c")
    ax.scatter([80], [20], marker="x", color="black", zorder=3, label=_t01("lorenz_claim", lang))
    ax.set_xlabel(_t01("lorenz_xlabel", lang))
    ax.set_ylabel(_t01("lorenz_ylabel_profit" if profit is not None else "lorenz_ylabel", lang))
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    ax.legend(loc="upper left", frameon=False)
    return ax


def criteria_by_status(counts: pd.DataFrame, labels: dict | None = None, ax=None, lang: str = "en"):
    """Customers meeting each criterion, stacked by members / prospects on the list / not listed
    (columns member, prospect, not_listed); criteria named by ``labels`` or, without them, by the
    catalogue in ``lang``."""
    from superkit.core.i18n import has_text

    lang = figure_language(lang)
    ax = _ax(ax, (8, 3.6))

    def name(k):
        if labels:
            return label(labels.get(k, k))
        return label(_t01(f"crit_{k}", lang)) if has_text("01_super_users", f"crit_{k}") else str(k)

    shown = counts.rename(index=name).rename(
        columns=lambda c: _t01(f"bar_{c}", lang) if has_text("01_super_users", f"bar_{c}") else c)
    shown[::-1].plot.barh(stacked=True, ax=ax, color=["#1d4ed8", "#f59e0b", "#d1d5db"])
    ax.set_xlabel(_t01("criteria_xlabel", lang))
    ax.set_ylabel("")
    ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1))
    return ax


# --------------------------------------------------------------------------------------------
# 02 lifetime value
# --------------------------------------------------------------------------------------------
def period_transactions(pt: pd.DataFrame, ax=None, lang: str = "en"):
    """Customers by repeat purchases: actual vs the model's simulation (last bar: max or more)."""
    from superkit.core.i18n import text

    lang, stem = figure_language(lang), "02_clv_churn"
    ax = _ax(ax, (7, 4.5))
    pt.rename(columns={"actual": text(stem, "fig_actual", lang), "model": text(stem, "fig_model", lang)}).plot.bar(
        ax=ax, rot=0)
    ax.set(xlabel=text(stem, "pt_xlabel", lang, max=pt.index.max()), ylabel=text(stem, "pt_ylabel", lang))
    return ax


def calibration_vs_holdout(cvh: pd.DataFrame, holdout: float, unit: str, ax=None, lang: str = "en"):
    """Mean holdout purchases by calibration frequency: actual vs predicted; ``holdout`` is the
    holdout's length in ``unit`` ("D" or "W")."""
    from superkit.core.i18n import text

    lang, stem = figure_language(lang), "02_clv_churn"
    ax = _ax(ax, (7, 4.5))
    cvh[["actual", "predicted"]].rename(columns={"actual": text(stem, "fig_actual", lang),
                                                 "predicted": text(stem, "fig_predicted", lang)}).plot(ax=ax, marker="o")
    ax.set(xlabel=text(stem, "cvh_xlabel", lang, max=cvh.index.max()),
           ylabel=text(stem, "cvh_ylabel", lang, holdout=holdout, unit=text(stem, f"unit_{unit}", lang)))
    return ax


def cumulative_tracking(track: pd.DataFrame, calibration_end, model_label: str, ax=None, lang: str = "en"):
    """Cumulative repeat purchase days, actual vs the model, with the calibration end marked."""
    from superkit.core.i18n import text

    lang, stem = figure_language(lang), "02_clv_churn"
    ax = _ax(ax, (10, 4))
    ax.plot(track.index, track["actual"], label=text(stem, "fig_actual", lang))
    ax.plot(track.index, track["expected"], "--", label=text(stem, "tracking_model", lang, model=model_label))
    ax.axvline(pd.Timestamp(calibration_end), color="grey", lw=1)
    ax.text(pd.Timestamp(calibration_end), ax.get_ylim()[1] * 0.05, text(stem, "tracking_holdout", lang), color="grey")
    ax.set(xlabel=text(stem, "tracking_xlabel", lang), ylabel=text(stem, "tracking_ylabel", lang))
    ax.legend()
    return ax


def clv_deciles(deciles: pd.DataFrame, horizon_years: float, ax=None, lang: str = "en"):
    """Total CLV per decile of customers (1 = the most valuable 10%)."""
    from superkit.core.i18n import text

    lang, stem = figure_language(lang), "02_clv_churn"
    ax = _ax(ax, (9, 4))
    ax.bar(deciles.index.astype(str), deciles["clv_total"])
    ax.set(xlabel=text(stem, "deciles_xlabel", lang), ylabel=text(stem, "deciles_ylabel", lang, years=horizon_years))
    return ax


def frequency_recency_heatmap(matrix: pd.DataFrame, T: float, value: str, unit: str, ax=None,
                              horizon: float | None = None, lang: str = "en"):
    """A frequency x recency grid for customers of age ``T`` (in ``unit``, "D" or "W") as a heat map;
    ``value`` says what it holds: "p_alive" or "expected_purchases" (over ``horizon``)."""
    from superkit.core.i18n import text

    lang, stem = figure_language(lang), "02_clv_churn"
    unit_name = text(stem, f"unit_{unit}", lang)
    ax = _ax(ax, (6.5, 4.5))
    max_f = int(matrix.index.max())
    im = ax.imshow(matrix.values, origin="lower", aspect="auto", cmap="viridis",
                   extent=[0, T, -0.5, max_f + 0.5])
    ax.figure.colorbar(im, ax=ax, label=text(stem, f"heat_{value}", lang, horizon=horizon, unit=unit_name))
    ax.set(xlabel=text(stem, "heat_xlabel", lang, unit=unit_name), ylabel=text(stem, "heat_ylabel", lang))
    return ax


# --------------------------------------------------------------------------------------------
# 03 renewal
# --------------------------------------------------------------------------------------------
def survival_and_renewal(fits: dict, projections: dict, fit_periods: int, period_days: float, axes=None,
                         lang: str = "en"):
    """Left: share still paying by period, model (band: 95%) vs actual; right: renewal rate by
    renewal. The dashed line marks the last fitted period: dots right of it were held out. Periods
    of 300 days or more are years (period 1 is then the second-year renewal)."""
    from superkit.core.i18n import text

    lang, stem = figure_language(lang), "03_renewal"
    if axes is None:
        import matplotlib.pyplot as plt

        _, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for i, (g, m) in enumerate(fits.items()):
        c, p = f"C{i}", projections[g]
        t = np.asarray(p["periods"])
        axes[0].plot(t, p["projected"], color=c, label=text(stem, "legend_model", lang, group=g))
        axes[0].fill_between(t, p["lower"], p["upper"], color=c, alpha=0.15)
        axes[0].plot(t, p["actual"], "o", color=c, ms=3.5, label=text(stem, "legend_actual", lang, group=g))
        act = np.asarray(p["actual"], dtype=float)
        axes[1].plot(t[1:], m.retention_rate(t[1:]), color=c, label=text(stem, "legend_model", lang, group=g))
        axes[1].plot(t[1:], act[1:] / act[:-1], "o", color=c, ms=3.5)
    xlabel = text(stem, "xlabel_year" if period_days >= 300 else "xlabel_month", lang, days=period_days)
    for ax in axes:
        ax.axvline(fit_periods, ls="--", color="grey", lw=1)
        ax.set_xlabel(xlabel)
    axes[0].set_ylabel(text(stem, "survival_ylabel", lang))
    axes[1].set_ylabel(text(stem, "renewal_ylabel", lang))
    axes[0].legend(fontsize=7, ncol=2)
    return axes


def theta_shift(model, tenures, ax=None, lang: str = "en"):
    """Density of the churn probability among members still paying after each tenure."""
    from superkit.core.i18n import text

    lang, stem = figure_language(lang), "03_renewal"
    ax = _ax(ax, (7, 4))
    x = np.linspace(0.001, 0.999, 400)
    for n in tenures:
        dist = model.theta_distribution(n)
        ax.plot(x, dist.pdf(x), label=text(stem, "theta_legend", lang, n=n, mean=dist.mean()))
    ax.set_ylim(0, min(ax.get_ylim()[1], 25))
    ax.set_xlabel(text(stem, "theta_xlabel", lang))
    ax.set_ylabel(text(stem, "theta_ylabel", lang))
    ax.legend(fontsize=8)
    return ax


def discounted_value(values: pd.DataFrame, unit: str, ax=None, lang: str = "en"):
    """Discounted fee value of a new member per group (``renewal.value_table``), with its 95%
    interval; ``unit`` says what it is counted in (money or fees, in the figure's language)."""
    from superkit.core.i18n import text

    lang, stem = figure_language(lang), "03_renewal"
    ax = _ax(ax, (7, 4))
    y = values["discounted_value"]
    err = np.vstack([y - values["value_low"], values["value_high"] - y])
    ax.bar(values.index, y, yerr=err, capsize=4, color=[f"C{i}" for i in range(len(y))])
    ax.set_ylabel(text(stem, "value_ylabel", lang, unit=unit))
    return ax


def calendar_forecast(cal: pd.DataFrame, observation_end=None, ax=None, lang: str = "en"):
    """Paying members by date (actual, model from join dates, forecast without new joiners) or,
    for a cohorts table, by calendar period stacked by cohort."""
    from superkit.core.i18n import text

    lang, stem = figure_language(lang), "03_renewal"
    ax = _ax(ax, (9, 4))
    if "date" in cal:
        ax.plot(cal["date"], cal["actual"], "k.", label=text(stem, "cal_actual", lang))
        ax.plot(cal["date"], cal["fitted"], color="C0", label=text(stem, "cal_fitted", lang))
        ax.plot(cal["date"], cal["forecast"], color="C3", lw=2, label=text(stem, "cal_forecast", lang))
        if observation_end is not None:
            ax.axvline(pd.Timestamp(observation_end), ls="--", color="grey", lw=1)
        ax.set_xlabel(text(stem, "cal_xlabel_date", lang))
        ax.legend(fontsize=8)
    else:
        ax.stackplot(cal.index, cal.drop(columns="total").T.to_numpy(), alpha=0.6)
        ax.set_xlabel(text(stem, "cal_xlabel_period", lang))
    ax.set_ylabel(text(stem, "cal_ylabel", lang))
    return ax


# --------------------------------------------------------------------------------------------
# 04 spend uplift
# --------------------------------------------------------------------------------------------
def event_study(ev: pd.DataFrame, ax=None, lang: str = "en"):
    """Spend relative to the month before joining (k = -1), with 95% intervals, by month."""
    from superkit.core.i18n import text

    fl = figure_language(lang)
    ax = _ax(ax, (8, 4.2))
    e = ev.dropna(subset=["ratio"])
    ax.axhline(1, color="grey", lw=1)
    ax.axvline(-0.5, color="grey", ls=":", lw=1)
    ax.errorbar(e["k"], e["ratio"], yerr=[e["ratio"] - e["ci_low"], e["ci_high"] - e["ratio"]],
                fmt="o", capsize=3, color="tab:blue")
    ax.set_xlabel(text("04_spend_uplift", "event_study_x", fl))
    ax.set_ylabel(text("04_spend_uplift", "event_study_y", fl))
    return ax


def four_readings(table: pd.DataFrame, claim: tuple[float, float], public: dict | None = None,
                  causal_band: tuple[float, float] | None = (1.1, 1.85), ax=None, lang: str = "en"):
    """The four readings (``reading, ratio, ci_low, ci_high``) with 95% intervals on a log scale, the
    claimed range as a grey band, published naive ratios (``{label with its source: multiple}``) as
    dashed lines and the range of published causal effects."""
    from superkit.core.i18n import text

    fl = figure_language(lang)
    ax = _ax(ax, (8.5, 4.5))
    ax.axvspan(claim[0], claim[1], color="0.85",
               label=text("04_spend_uplift", "four_readings_claim", fl, low=f"{claim[0]:g}", high=f"{claim[1]:g}"))
    ys = np.arange(len(table))[::-1]
    ax.errorbar(table["ratio"], ys, xerr=[table["ratio"] - table["ci_low"], table["ci_high"] - table["ratio"]],
                fmt="o", capsize=4, color="tab:blue", label=text("04_spend_uplift", "four_readings_data", fl))
    for k, v in (public or {}).items():
        ax.axvline(v, color="tab:orange", ls="--", lw=1)
        ax.text(v, 0.97, k, rotation=90, va="top", ha="right", fontsize=7.5, color="tab:orange",
                transform=ax.get_xaxis_transform())   # inside the axes, from the top down
    if causal_band is not None:
        ax.axvspan(*causal_band, ymin=0, ymax=0.22, color="tab:green", alpha=0.25,
                   label=text("04_spend_uplift", "four_readings_causal_band", fl,
                              low=causal_band[0] - 1, high=causal_band[1] - 1))
    ax.set_yticks(ys, table["reading"])
    ax.set_xscale("log")
    ax.set_xticks([1, 2, 3, 5, 10, 20], ["1", "2", "3", "5", "10", "20"])
    ax.set_xlabel(text("04_spend_uplift", "four_readings_x", fl))
    ax.legend(loc="lower right", fontsize=8)
    return ax


# --------------------------------------------------------------------------------------------
# 05 benefit bundles
# --------------------------------------------------------------------------------------------
DIMENSION_COLOURS = {"exclusive_price": "#1d4ed8", "discount": "#0891b2", "exclusive_product": "#7c3aed",
                     "service": "#059669", "spend_discount": "#d97706", "customised": "#db2777"}


def _words05(lang: str):
    """Texts of notebook 05's catalogue in the language a figure can draw."""
    from superkit.core import i18n

    fl = figure_language(lang)
    return fl, lambda key, **values: i18n.text("05_benefit_bundles", key, fl, **values)


def _benefit_names(df: pd.DataFrame, fl: str) -> list:
    """Benefit names, Chinese (``name_zh``) in a Chinese figure where the catalog gives them."""
    if fl == "zh" and "name_zh" in df.columns:
        return [z if isinstance(z, str) and z.strip() else n for n, z in zip(df["name"], df["name_zh"])]
    return list(df["name"])


def tier_economics(econ: pd.DataFrame, value_ratio: float, ax=None, lang: str = "en"):
    """Per tier, per member-year: what it brings (fee + margin on the spend it adds) beside what its
    benefits cost (fixed + share of spend), profit on top, and the value members feel against the
    ``value_ratio x fee`` they must feel."""
    _, w05 = _words05(lang)
    ax = _ax(ax, (8.5, 4.6))
    x = np.arange(len(econ))
    w = 0.36
    ax.bar(x - w / 2, econ["fee"], w, color="#1d4ed8", label=w05("leg_fee"))
    ax.bar(x - w / 2, econ["incremental_margin"], w, bottom=econ["fee"], color="#93c5fd",
           label=w05("leg_margin"))
    ax.bar(x + w / 2, econ["fixed_cost"], w, color="#c2410c", label=w05("leg_cost_fixed"))
    ax.bar(x + w / 2, econ["spend_cost"], w, bottom=econ["fixed_cost"], color="#fdba74",
           label=w05("leg_cost_share"))
    ax.scatter(x, econ["perceived_value"], marker="D", color="#111827", zorder=3, label=w05("leg_value"))
    ax.scatter(x, value_ratio * econ["fee"], marker="_", s=900, color="#111827", zorder=3,
               label=w05("leg_rule", ratio=value_ratio))
    top = np.maximum(econ["fee"] + econ["incremental_margin"], econ["perceived_value"])
    for i, (p, h) in enumerate(zip(econ["profit"], top)):
        ax.text(i, h * 1.04, w05("ann_profit", profit=p), ha="center", fontsize=9)
    ax.set_xticks(x, [w05("tick_tier_fee", tier=t, fee=f) for t, f in zip(econ.index, econ["fee"])])
    ax.set_ylabel(w05("ylabel_member_year"))
    ax.set_ylim(0, float(top.max()) * 1.18)
    ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1), markerscale=0.5)
    return ax


def bundle_matrix(catalog: pd.DataFrame, tiers: list, ax=None, lang: str = "en"):
    """Which tier holds which benefit: one row per benefit (grouped by dimension), a filled cell
    per tier that holds it, coloured by dimension; benefits left out are listed in grey."""
    from matplotlib.patches import Patch, Rectangle

    fl, w05 = _words05(lang)
    cat = catalog.copy()
    order = list(DIMENSION_COLOURS)
    cat["_d"] = cat["dimension"].map(order.index)
    cat["_used"] = cat["lowest_tier"].notna()
    cat = cat.sort_values(["_used", "_d", "value"], ascending=[False, True, False]).reset_index(drop=True)
    ax = _ax(ax, (8.5, 0.34 * len(cat) + 1.2))
    n = len(cat)
    names = _benefit_names(cat, fl)
    for i, r in cat.iterrows():
        y = n - 1 - i
        colour = DIMENSION_COLOURS[r["dimension"]]
        k = tiers.index(r["lowest_tier"]) if r["_used"] else len(tiers)
        for j in range(len(tiers)):
            held = j >= k
            ax.add_patch(Rectangle(
                (j + 0.08, y + 0.12), 0.84, 0.76, color=colour if held else "#f3f4f6", alpha=0.9 if held else 1))
        ax.text(-0.1, y + 0.5, names[i], ha="right", va="center", fontsize=8.5,
                color="#111827" if r["_used"] else "#9ca3af")
        ax.text(len(tiers) + 0.1, y + 0.5, w05("bundle_cost", cost=r["fixed_cost"])
                + (w05("bundle_share", share=r["spend_share"]) if r["spend_share"] > 0 else "")
                + w05("bundle_value", value=r["value"]), va="center", fontsize=8, color="#374151")
    ax.set_xlim(-0.05, len(tiers) + 0.05)
    ax.set_ylim(0, n)
    ax.set_xticks(np.arange(len(tiers)) + 0.5, tiers)
    ax.xaxis.tick_top()
    ax.set_yticks([])
    for s in ax.spines.values():
        s.set_visible(False)
    handles = [Patch(color=c, label=BENEFIT_DIMENSIONS[d][1] if fl == "zh" else
                     label(f"{BENEFIT_DIMENSIONS[d][0]} ({BENEFIT_DIMENSIONS[d][1]})"))
               for d, c in DIMENSION_COLOURS.items() if d in set(cat["dimension"])]
    ax.legend(handles=handles, frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(0, -0.01), ncol=3)
    return ax


def value_frontier(frontier: pd.DataFrame, chosen: float, ax=None, lang: str = "en"):
    """Best mix-weighted profit per member-year as the value rule tightens (members must feel
    ``value_ratio`` x the fee), up to the largest feasible ratio; the chosen rule marked."""
    _, w05 = _words05(lang)
    ax = _ax(ax, (7.5, 4.2))
    f = frontier[frontier["feasible"]]
    ax.plot(f["value_ratio"], f["objective"], "o-", color="#1d4ed8", ms=3.5, label=w05("leg_best_design"))
    near = (frontier["value_ratio"] - chosen).abs().idxmin()
    if frontier.loc[near, "feasible"]:
        ax.scatter([chosen], [frontier.loc[near, "objective"]], s=80, color="#c2410c", zorder=3,
                   label=w05("leg_chosen_rule", ratio=chosen))
    top = frontier.attrs.get("max_value_ratio")
    if top is not None and np.isfinite(top):
        ax.axvline(top, color="grey", ls=":", lw=1)
        ax.text(top, ax.get_ylim()[0], w05("ann_max_feasible", ratio=top), rotation=90, va="bottom", fontsize=8)
    ax.set_xlabel(w05("xlabel_value_rule"))
    ax.set_ylabel(w05("ylabel_objective"))
    ax.legend(frameon=False, fontsize=8)
    return ax


def tier_sensitivity(sens: dict, tiers: list, margin: float, causal: dict, axes=None, lang: str = "en"):
    """Three panels: profit per tier as the margin moves; as the causal ratio moves (04's measured
    value and interval shaded); and the best profit when each chosen benefit's cost is lower or
    higher (a tornado, re-optimised)."""
    if axes is None:
        import matplotlib.pyplot as plt

        _, axes = plt.subplots(1, 3, figsize=(16, 4.4), gridspec_kw={"wspace": 0.65})
    fl, w05 = _words05(lang)
    a1, a2, a3 = axes
    m = sens["margin"]
    for t in tiers:
        a1.plot(m["margin"], m[t], label=t)
    a1.axvline(margin, color="grey", ls=":", lw=1)
    a1.axhline(0, color="black", lw=0.8)
    a1.set_xlabel(w05("xlabel_margin"))
    a1.set_ylabel(w05("ylabel_profit"))
    a1.legend(frameon=False, fontsize=8, loc="upper left")
    c = sens["causal_ratio"]
    for t in tiers:
        a2.plot(c["causal_ratio"], c[t], label=t)
    if causal.get("ci"):
        a2.axvspan(*causal["ci"], color="tab:green", alpha=0.15, label=w05("leg_04_interval"))
    a2.axvline(causal["value"], color="tab:green", lw=1)
    a2.axhline(0, color="black", lw=0.8)
    a2.set_xlabel(w05("xlabel_causal_ratio"))
    a2.legend(frameon=False, fontsize=8, loc="upper left")
    tor = sens["benefit_cost"].head(10).iloc[::-1]
    base = sens["objective"]
    y = np.arange(len(tor))
    a3.barh(y, tor["objective_low"] - base, left=base, color="#059669",
            label=w05("leg_cost_lower", change=sens["cost_change"]))
    a3.barh(y, tor["objective_high"] - base, left=base, color="#c2410c",
            label=w05("leg_cost_higher", change=sens["cost_change"]))
    a3.axvline(base, color="black", lw=0.8)
    a3.set_yticks(y, _benefit_names(tor, fl), fontsize=8)
    a3.set_xlabel(w05("xlabel_best_objective"))
    a3.legend(frameon=False, fontsize=8)
    return axes


def keep_tier_curve(per_member: pd.DataFrame, tiers: list, upgrade_spend: float, keep: dict | None = None,
                    min_member_days: int = 90, ax=None, lang: str = "en"):
    """Share of each tier's members whose annual spend reaches a threshold (log scale), with the
    upgrade threshold and any keep-tier thresholds marked."""
    _, w05 = _words05(lang)
    ax = _ax(ax, (7.5, 4.2))
    df = per_member[per_member["member_days"] >= min_member_days]
    grid = np.logspace(1, np.log10(max(upgrade_spend * 1.5, 100)), 200)
    for t in tiers:
        s = np.sort(df.loc[df["tier"] == t, "annual_spend"].to_numpy(float))
        if len(s):
            ax.plot(grid, 1 - np.searchsorted(s, grid, side="left") / len(s),
                    label=w05("leg_tier_members", tier=t, n=len(s)))
    ax.axvline(upgrade_spend, color="#c2410c", ls="--", lw=1)
    ax.text(upgrade_spend, 0.95, w05("ann_upgrade", spend=upgrade_spend), color="#c2410c", fontsize=8, va="top")
    for t, v in (keep or {}).items():
        ax.axvline(float(v), color="grey", ls=":", lw=1)
        ax.text(float(v), 0.05, w05("ann_keep", tier=t, spend=float(v)), rotation=90, fontsize=8, va="bottom")
    ax.set_xscale("log")
    ax.set_xlabel(w05("xlabel_annual_spend"))
    ax.set_ylabel(w05("ylabel_share_at_least"))
    ax.set_ylim(0, 1.02)
    ax.legend(frameon=False, fontsize=8)
    return ax


def wtp_comparison(table: pd.DataFrame, ax=None, lang: str = "en"):
    """Willingness to pay from the survey (95% intervals) beside the catalog's assumed value."""
    fl, w05 = _words05(lang)
    ax = _ax(ax, (7.5, 0.45 * len(table) + 1.3))
    t = table.iloc[::-1].reset_index(drop=True)
    y = np.arange(len(t))
    ax.errorbar(t["survey WTP"], y, xerr=[t["survey WTP"] - t["95% low"], t["95% high"] - t["survey WTP"]],
                fmt="o", capsize=3, color="#1d4ed8", label=w05("leg_wtp"))
    ax.scatter(t["catalog value"], y, marker="x", color="#c2410c", zorder=3, label=w05("leg_catalog_value"))
    ax.set_yticks(y, _benefit_names(t, fl), fontsize=8.5)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel(w05("xlabel_wtp"))
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    return ax


# ----------------------------------------------------------------------------------------------
# 06: the membership plan
# ----------------------------------------------------------------------------------------------
PHASE_COLOURS = {"startup": "#93c5fd", "growth": "#86efac", "stable": "#fcd34d"}
LIGHT_COLOURS = {"green": "#16a34a", "amber": "#f59e0b", "red": "#dc2626", None: "#e5e7eb"}


def _phase_colour(name: str, i: int) -> str:
    spare = ("#c4b5fd", "#fca5a5", "#a5f3fc", "#d9f99d")
    return PHASE_COLOURS.get(name, spare[i % len(spare)])


def _t06(key: str, lang: str, **values) -> str:
    from superkit.core import i18n

    return i18n.text("06_membership_phases", key, lang, **values)


def _channel06(key: str, lang: str) -> str:
    from superkit.data.spec import CONTACT_CHANNELS

    if key not in CONTACT_CHANNELS:
        return key
    en, zh, _ = CONTACT_CHANNELS[key]
    return zh if lang == "zh" else label(f"{en} ({zh})")


def phase_chart(monthly: pd.DataFrame, phases, channel_months: dict, band: dict | None = None,
                mode_switch_month: int | None = None, channel_labels: dict | None = None, axes=None,
                lang: str = "en"):
    """Two panels sharing the month axis: above, a Gantt of the phases and of each channel's running
    months; below, members per month with the Monte Carlo band, the phases shaded and the month the
    management mode switches. ``phases``: objects with ``name``, ``first``, ``last``, ``focus`` (and
    ``title(lang)``); ``channel_months``: channel -> list of months it runs; ``band``:
    ``{"low": [...], "high": [...]}``; ``channel_labels`` (None: the channels' names in ``lang``)."""
    lang = figure_language(lang)
    if axes is None:
        import matplotlib.pyplot as plt

        _, axes = plt.subplots(2, 1, figsize=(12, 7.5), sharex=True,
                               gridspec_kw={"height_ratios": [1.1, 1.6], "hspace": 0.08})
    a1, a2 = axes
    months = monthly["month"].to_numpy()
    last = int(months.max())
    rows = list(channel_months)
    names = channel_labels or {k: _channel06(k, lang) for k in rows}
    for i, p in enumerate(phases):
        end = last if p is phases[-1] else min(p.last, last)
        colour = _phase_colour(p.name, i)
        a1.barh(len(rows), end - p.first + 1, left=p.first - 0.5, color=colour, edgecolor="white")
        title = p.title(lang) if hasattr(p, "title") else p.name
        a1.text((p.first + end) / 2, len(rows), title, ha="center", va="center", fontsize=9,
                weight="bold" if lang == "en" else "normal")   # CJK fonts seldom have a bold face
        a2.axvspan(p.first - 0.5, end + 0.5, color=colour, alpha=0.25, lw=0)
    for j, key in enumerate(rows):
        ms = sorted(channel_months[key])
        runs, start = [], None
        for k, m in enumerate(ms):
            if start is None:
                start = m
            if k == len(ms) - 1 or ms[k + 1] != m + 1:
                runs.append((start, m))
                start = None
        for s, e in runs:
            a1.barh(j, e - s + 1, left=s - 0.5, color="#475569", height=0.55)
    a1.set_yticks(range(len(rows) + 1), [label(names.get(k, k)) for k in rows] + [_t06("lg_phase", lang)], fontsize=8)
    a1.invert_yaxis()
    a1.set_xlim(0.5, last + 0.5)
    a1.tick_params(axis="x", length=0)
    a2.plot(months, monthly["members"], color="#1d4ed8", lw=2, label=_t06("lg_members_plan", lang))
    if band is not None:
        a2.fill_between(months, band["low"], band["high"], color="#1d4ed8", alpha=0.18, lw=0,
                        label=_t06("lg_band", lang))
    if mode_switch_month:
        for ax in axes:
            ax.axvline(mode_switch_month - 0.5, color="#7c3aed", ls="--", lw=1.2)
        a2.text(mode_switch_month - 0.4, a2.get_ylim()[1] * 0.95, _t06("lg_mode_switch", lang), color="#7c3aed",
                fontsize=8, va="top")
    a2.set_ylim(bottom=0)
    a2.set_xlabel(_t06("ax_month", lang))
    a2.set_ylabel(_t06("ax_members", lang))
    a2.legend(frameon=False, fontsize=8, loc="lower right")
    return axes


def joins_by_channel(joins: pd.DataFrame, channel_labels: dict | None = None, ax=None, lang: str = "en"):
    """New members per month, stacked by channel (``joins``: month index x channel columns;
    ``channel_labels`` None: the channels' names in ``lang``)."""
    lang = figure_language(lang)
    ax = _ax(ax, (11, 4))
    names = channel_labels or {k: _channel06(k, lang) for k in joins.columns}
    import matplotlib

    bottom = np.zeros(len(joins))
    cmap = matplotlib.colormaps["tab10"]
    for i, c in enumerate(joins.columns):
        v = joins[c].to_numpy(float)
        if not v.any():
            continue
        ax.bar(joins.index, v, bottom=bottom, color=cmap(i % 10), label=label(names.get(c, c)), width=0.8)
        bottom += v
    ax.set_xlabel(_t06("ax_month", lang))
    ax.set_ylabel(_t06("ax_new_members", lang))
    if bottom.any():
        ax.legend(frameon=False, fontsize=8, ncol=4, loc="upper left")
    return ax


def plan_pnl(monthly: pd.DataFrame, band: dict | None = None, break_even: int | None = None, axes=None,
             lang: str = "en"):
    """Two panels: the month's money (fees and incremental margin up, costs down, profit as a line),
    and cumulative profit with its Monte Carlo band and the break-even month."""
    lang = figure_language(lang)
    if axes is None:
        import matplotlib.pyplot as plt

        _, axes = plt.subplots(1, 2, figsize=(14, 4.4), gridspec_kw={"wspace": 0.25})
    a1, a2 = axes
    m = monthly["month"].to_numpy()
    up = [("fee_revenue", "lg_fees", "#2563eb"), ("incremental_margin", "lg_margin", "#60a5fa")]
    down = [("benefit_cost", "lg_benefits", "#f97316"), ("channel_cost", "lg_channels", "#ef4444"),
            ("operating_cost", "lg_operations", "#991b1b")]
    b = np.zeros(len(m))
    for col, name, colour in up:
        a1.bar(m, monthly[col], bottom=b, color=colour, label=_t06(name, lang), width=0.8)
        b = b + monthly[col].to_numpy(float)
    b = np.zeros(len(m))
    for col, name, colour in down:
        a1.bar(m, -monthly[col], bottom=b, color=colour, label=_t06(name, lang), width=0.8)
        b = b - monthly[col].to_numpy(float)
    a1.plot(m, monthly["profit"], color="black", marker="o", ms=3, lw=1.2, label=_t06("lg_profit", lang))
    a1.axhline(0, color="black", lw=0.8)
    a1.set_xlabel(_t06("ax_month", lang))
    a1.set_ylabel(_t06("ax_yuan_month", lang))
    a1.legend(frameon=False, fontsize=8, ncol=3, loc="lower left")
    a2.plot(m, monthly["cumulative_profit"], color="#111827", lw=2, label=_t06("lg_plan", lang))
    if band is not None:
        a2.fill_between(m, band["low"], band["high"], color="#6b7280", alpha=0.25, lw=0,
                        label=_t06("lg_band_short", lang))
    a2.axhline(0, color="black", lw=0.8)
    if break_even:
        a2.axvline(break_even, color="#16a34a", ls="--", lw=1.2, label=_t06("lg_break_even", lang, month=break_even))
    a2.set_xlabel(_t06("ax_month", lang))
    a2.set_ylabel(_t06("ax_cum_profit", lang))
    a2.legend(frameon=False, fontsize=8, loc="upper left")
    return axes


def plan_tornado(tor: pd.DataFrame, base: float, ax=None, top: int = 10, lang: str = "en"):
    """Profit over the horizon with each uncertain input at its 10th (low) and 90th (high)
    percentile, the others at their point values; largest swing on top."""
    from superkit.analyses.phases import lever_label

    lang = figure_language(lang)
    ax = _ax(ax, (9, 0.45 * min(len(tor), top) + 1.5))
    t = tor.head(top).iloc[::-1]
    y = np.arange(len(t))
    ax.barh(y, t["low"] - base, left=base, color="#c2410c", label=_t06("lg_low", lang))
    ax.barh(y, t["high"] - base, left=base, color="#059669", label=_t06("lg_high", lang))
    ax.axvline(base, color="black", lw=0.8)

    def level(v):
        m = re.fullmatch(r"(\d+)-renewal survival (\S+)", str(v))
        return _t06("lever_survival", lang, n=m[1], share=m[2]) if m else str(v)

    ax.set_yticks(y, [_t06("lever_range", lang, lever=lever_label(a, lang), low=level(lo), high=level(hi))
                      for a, lo, hi in zip(t["input"], t["low_value"], t["high_value"])], fontsize=8)
    ax.set_xlabel(_t06("ax_tornado", lang))
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    return ax


def kpi_lights(kpis: pd.DataFrame, ax=None, phases=None, lang: str = "en"):
    """The KPIs by phase against the plan's targets as a traffic-light table (rows: KPIs, columns:
    phases; each cell the value, its target and a colour). ``phases``: the plan's phases, to name
    them in ``lang`` (创业期, 发展期, 稳定期)."""
    lang = figure_language(lang)
    ax = _ax(ax, (10, 2.6))
    titles = {p.name: p.title(lang) for p in phases} if phases is not None else {}
    phase_rows = list(dict.fromkeys(kpis["phase"]))
    kpi_rows = list(dict.fromkeys(kpis["kpi"]))
    text, colours = [], []
    for k in kpi_rows:
        row_t, row_c = [], []
        for p in phase_rows:
            r = kpis[(kpis["phase"] == p) & (kpis["kpi"] == k)]
            if r.empty or not np.isfinite(r["value"].iloc[0]):
                row_t.append("-"), row_c.append(LIGHT_COLOURS[None])
                continue
            v, tg, st = r["value"].iloc[0], r["target"].iloc[0], r["status"].iloc[0]
            fmt = (lambda x: f"{x:,.0f}") if k == "revenue_per_member" else (lambda x: f"{x:.1%}")
            row_t.append(fmt(v) if tg is None or pd.isna(tg) else _t06("kpi_cell", lang, value=fmt(v), target=fmt(tg)))
            row_c.append(LIGHT_COLOURS.get(st if isinstance(st, str) else None, LIGHT_COLOURS[None]))
        text.append(row_t), colours.append(row_c)
    months = [kpis[kpis["phase"] == p]["months"].iloc[0] for p in phase_rows]
    names = [label(_t06(f"kpi_{k}", lang)) if k in ("penetration", "conversion", "renewal", "revenue_per_member")
             else k for k in kpi_rows]
    tab = ax.table(cellText=text, cellColours=colours, rowLabels=names,
                   colLabels=[_t06("kpi_phase", lang, phase=titles.get(p, p), months=mm)
                              for p, mm in zip(phase_rows, months)], loc="center", cellLoc="center")
    tab.auto_set_font_size(False)
    tab.set_fontsize(9)
    tab.scale(1, 1.6)
    ax.axis("off")
    return ax


def mode_comparison(modes: pd.DataFrame, ax=None, lang: str = "en"):
    """Profit over the horizon and operating cost under each management mode and the plan's rule."""
    from superkit.analyses.phases import mode_label

    lang = figure_language(lang)
    ax = _ax(ax, (8, 3.5))
    y = np.arange(len(modes))
    ax.barh(y - 0.18, modes["profit"], height=0.36, color="#2563eb", label=_t06("lg_profit_total", lang))
    ax.barh(y + 0.18, -modes["operating_cost"], height=0.36, color="#991b1b", label=_t06("lg_operating_neg", lang))
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(y, [label(mode_label(m, lang)) for m in modes["mode"]])
    ax.invert_yaxis()
    ax.set_xlabel(_t06("ax_modes", lang))
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    return ax
