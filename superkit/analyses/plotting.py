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
def gate_funnel(funnel: pd.Series, ax=None):
    """Customers passing each selection gate, as horizontal bars with counts and shares."""
    ax = _ax(ax, (8, 2.8))
    ax.barh(funnel.index[::-1], funnel.values[::-1], color=["#1d4ed8", "#60a5fa", "#bfdbfe"][::-1])
    for y, v in enumerate(funnel.values[::-1]):
        ax.text(v, y, f" {v:,} ({v / funnel.iloc[0]:.0%})", va="center")
    ax.set_xlabel("customers (count)")
    ax.set_xlim(0, funnel.iloc[0] * 1.25)
    return ax


def lorenz(conc, ax=None):
    """The Lorenz curve of revenue with the diagonal, the top-20% point and the 80/20 claim."""
    ax = _ax(ax, (6.5, 5))
    lc = conc.lorenz
    x, y = lc["customer_share"] * 100, lc["revenue_share"] * 100
    ax.plot(x, y, color="#1d4ed8", lw=2.2, label="this data (Lorenz curve)")
    ax.plot([0, 100], [0, 100], color="grey", ls="--", lw=1, label="everyone spends the same")
    ax.fill_between(x, y, x, color="#1d4ed8", alpha=0.08)
    ax.axvline(80, color="#c2410c", lw=1, ls=":")
    ax.annotate(f"top 20% of customers\n= {conc.top20_share:.0%} of revenue",
                xy=(80, (1 - conc.top20_share) * 100), xytext=(30, 62),
                arrowprops=dict(arrowstyle="->", color="#c2410c"), color="#c2410c")
    ax.scatter([80], [20], marker="x", color="black", zorder=3, label="the 80/20 claim")
    ax.set_xlabel("customers, smallest spenders first (% of customers)")
    ax.set_ylabel("cumulative revenue (% of total)")
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    ax.legend(loc="upper left", frameon=False)
    return ax


def criteria_by_status(counts: pd.DataFrame, labels: dict | None = None, ax=None):
    """Customers meeting each criterion, stacked by members / prospects on the list / not listed."""
    ax = _ax(ax, (8, 3.6))
    shown = counts.rename(index=lambda k: label((labels or {}).get(k, k)))
    shown[::-1].plot.barh(stacked=True, ax=ax, color=["#1d4ed8", "#f59e0b", "#d1d5db"])
    ax.set_xlabel("customers meeting the criterion (count)")
    ax.set_ylabel("")
    ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1))
    return ax


# --------------------------------------------------------------------------------------------
# 02 lifetime value
# --------------------------------------------------------------------------------------------
def period_transactions(pt: pd.DataFrame, ax=None):
    """Customers by repeat purchases: actual vs the model's simulation (last bar: max or more)."""
    ax = _ax(ax, (7, 4.5))
    pt.plot.bar(ax=ax, rot=0)
    ax.set(xlabel=f"repeat purchases in calibration (last bar: {pt.index.max()} or more)", ylabel="customers")
    return ax


def calibration_vs_holdout(cvh: pd.DataFrame, holdout_label: str, ax=None):
    """Mean holdout purchases by calibration frequency: actual vs predicted."""
    ax = _ax(ax, (7, 4.5))
    cvh[["actual", "predicted"]].plot(ax=ax, marker="o")
    ax.set(xlabel=f"repeat purchases in calibration ({cvh.index.max()} = {cvh.index.max()} or more)",
           ylabel=f"mean purchases in holdout ({holdout_label})")
    return ax


def cumulative_tracking(track: pd.DataFrame, calibration_end, model_label: str, ax=None):
    """Cumulative repeat purchase days, actual vs the model, with the calibration end marked."""
    ax = _ax(ax, (10, 4))
    ax.plot(track.index, track["actual"], label="actual")
    ax.plot(track.index, track["expected"], "--", label=f"{model_label} (calibration fit)")
    ax.axvline(pd.Timestamp(calibration_end), color="grey", lw=1)
    ax.text(pd.Timestamp(calibration_end), ax.get_ylim()[1] * 0.05, " holdout ->", color="grey")
    ax.set(xlabel="date", ylabel="cumulative repeat purchase days (all customers)")
    ax.legend()
    return ax


def clv_deciles(deciles: pd.DataFrame, horizon_years: float, ax=None):
    """Total CLV per decile of customers (1 = the most valuable 10%)."""
    ax = _ax(ax, (9, 4))
    ax.bar(deciles.index.astype(str), deciles["clv_total"])
    ax.set(xlabel="CLV decile (1 = most valuable 10% of customers)",
           ylabel=f"total CLV ({horizon_years:g} y, discounted margin)")
    return ax


def frequency_recency_heatmap(matrix: pd.DataFrame, T: float, value_label: str, unit_name: str, ax=None):
    """A frequency x recency grid (e.g. P(alive)) for customers of age ``T`` as a heat map."""
    ax = _ax(ax, (6.5, 4.5))
    max_f = int(matrix.index.max())
    im = ax.imshow(matrix.values, origin="lower", aspect="auto", cmap="viridis",
                   extent=[0, T, -0.5, max_f + 0.5])
    ax.figure.colorbar(im, ax=ax, label=value_label)
    ax.set(xlabel=f"recency: age at last purchase ({unit_name})", ylabel="repeat purchases (frequency)")
    return ax


# --------------------------------------------------------------------------------------------
# 03 renewal
# --------------------------------------------------------------------------------------------
def survival_and_renewal(fits: dict, projections: dict, fit_periods: int, period_days: float, axes=None):
    """Left: share still paying by period, model (band: 95%) vs actual; right: renewal rate by
    renewal. The dashed line marks the last fitted period: dots right of it were held out."""
    if axes is None:
        import matplotlib.pyplot as plt

        _, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for i, (g, m) in enumerate(fits.items()):
        c, p = f"C{i}", projections[g]
        t = np.asarray(p["periods"])
        axes[0].plot(t, p["projected"], color=c, label=f"{g} (model)")
        axes[0].fill_between(t, p["lower"], p["upper"], color=c, alpha=0.15)
        axes[0].plot(t, p["actual"], "o", color=c, ms=3.5, label=f"{g} (actual)")
        act = np.asarray(p["actual"], dtype=float)
        axes[1].plot(t[1:], m.retention_rate(t[1:]), color=c, label=f"{g} (model)")
        axes[1].plot(t[1:], act[1:] / act[:-1], "o", color=c, ms=3.5)
    for ax in axes:
        ax.axvline(fit_periods, ls="--", color="grey", lw=1)
        ax.set_xlabel(f"periods since joining ({period_days:g}-day periods)")
    axes[0].set_ylabel("share of members still paying")
    axes[1].set_ylabel("renewal rate (share of payers who renew)")
    axes[0].legend(fontsize=7, ncol=2)
    return axes


def theta_shift(model, tenures, ax=None):
    """Density of the churn probability among members still paying after each tenure."""
    ax = _ax(ax, (7, 4))
    x = np.linspace(0.001, 0.999, 400)
    for n in tenures:
        dist = model.theta_distribution(n)
        ax.plot(x, dist.pdf(x), label=f"after {n} periods: mean churn {dist.mean():.1%}")
    ax.set_ylim(0, min(ax.get_ylim()[1], 25))
    ax.set_xlabel("theta: chance of leaving at a renewal")
    ax.set_ylabel("density among members still paying")
    ax.legend(fontsize=8)
    return ax


def discounted_value(values: pd.DataFrame, unit: str, ax=None):
    """Discounted fee value of a new member per group, with its 95% interval."""
    ax = _ax(ax, (7, 4))
    y = values["discounted fee value"]
    err = np.vstack([y - values["value 95% low"], values["value 95% high"] - y])
    ax.bar(values.index, y, yerr=err, capsize=4, color=[f"C{i}" for i in range(len(y))])
    ax.set_ylabel(f"discounted fee value ({unit})")
    return ax


def calendar_forecast(cal: pd.DataFrame, observation_end=None, ax=None):
    """Paying members by date (actual, model from join dates, forecast without new joiners) or,
    for a cohorts table, by calendar period stacked by cohort."""
    ax = _ax(ax, (9, 4))
    if "date" in cal:
        ax.plot(cal["date"], cal["actual"], "k.", label="actual paying members")
        ax.plot(cal["date"], cal["fitted"], color="C0", label="model from join dates")
        ax.plot(cal["date"], cal["forecast"], color="C3", lw=2, label="forecast (no new joiners)")
        if observation_end is not None:
            ax.axvline(pd.Timestamp(observation_end), ls="--", color="grey", lw=1)
        ax.set_xlabel("date")
        ax.legend(fontsize=8)
    else:
        ax.stackplot(cal.index, cal.drop(columns="total").T.to_numpy(), alpha=0.6)
        ax.set_xlabel("calendar period")
    ax.set_ylabel("paying members")
    return ax


# --------------------------------------------------------------------------------------------
# 04 spend uplift
# --------------------------------------------------------------------------------------------
def event_study(ev: pd.DataFrame, ax=None):
    """Spend relative to the month before joining (k = -1), with 95% intervals, by month."""
    ax = _ax(ax, (8, 4.2))
    e = ev.dropna(subset=["ratio"])
    ax.axhline(1, color="grey", lw=1)
    ax.axvline(-0.5, color="grey", ls=":", lw=1)
    ax.errorbar(e["k"], e["ratio"], yerr=[e["ratio"] - e["ci_low"], e["ci_high"] - e["ratio"]],
                fmt="o", capsize=3, color="tab:blue")
    ax.set_xlabel("months relative to the join month (0 = join month)")
    ax.set_ylabel("spend / spend without membership (×)")
    return ax


def four_readings(table: pd.DataFrame, claim: tuple[float, float], public: dict | None = None,
                  causal_band: tuple[float, float] | None = (1.1, 1.85), ax=None):
    """The four readings with 95% intervals on a log scale, the claimed range as a grey band,
    published naive ratios as dashed lines and the range of published causal effects."""
    ax = _ax(ax, (8.5, 4.5))
    ax.axvspan(claim[0], claim[1], color="0.85", label=f"claim {claim[0]:g}–{claim[1]:g}×")
    ys = np.arange(len(table))[::-1]
    ax.errorbar(table["ratio"], ys, xerr=[table["ratio"] - table["95% low"], table["95% high"] - table["ratio"]],
                fmt="o", capsize=4, color="tab:blue", label="this data (95% interval)")
    for k, v in (public or {}).items():
        ax.axvline(v, color="tab:orange", ls="--", lw=1)
        ax.text(v, len(table) - 0.4, k, rotation=90, va="top", ha="right", fontsize=8, color="tab:orange")
    if causal_band is not None:
        ax.axvspan(*causal_band, ymin=0, ymax=0.22, color="tab:green", alpha=0.25,
                   label=f"published causal effects (+{causal_band[0] - 1:.0%} to +{causal_band[1] - 1:.0%})")
    ax.set_yticks(ys, table["reading"])
    ax.set_xscale("log")
    ax.set_xticks([1, 2, 3, 5, 10, 20], ["1", "2", "3", "5", "10", "20"])
    ax.set_xlabel("spend multiple (×, log scale)")
    ax.legend(loc="lower right", fontsize=8)
    return ax


# --------------------------------------------------------------------------------------------
# 05 benefit bundles
# --------------------------------------------------------------------------------------------
DIMENSION_COLOURS = {"exclusive_price": "#1d4ed8", "discount": "#0891b2", "exclusive_product": "#7c3aed",
                     "service": "#059669", "spend_discount": "#d97706", "customised": "#db2777"}


def tier_economics(econ: pd.DataFrame, value_ratio: float, ax=None):
    """Per tier, per member-year: what it brings (fee + margin on the spend it adds) beside what its
    benefits cost (fixed + share of spend), profit on top, and the value members feel against the
    ``value_ratio x fee`` they must feel."""
    ax = _ax(ax, (8.5, 4.6))
    x = np.arange(len(econ))
    w = 0.36
    ax.bar(x - w / 2, econ["fee"], w, color="#1d4ed8", label="fee")
    ax.bar(x - w / 2, econ["incremental_margin"], w, bottom=econ["fee"], color="#93c5fd",
           label="margin on the spend joining adds")
    ax.bar(x + w / 2, econ["fixed_cost"], w, color="#c2410c", label="benefit cost: fixed")
    ax.bar(x + w / 2, econ["spend_cost"], w, bottom=econ["fixed_cost"], color="#fdba74",
           label="benefit cost: share of spend")
    ax.scatter(x, econ["perceived_value"], marker="D", color="#111827", zorder=3, label="value members feel")
    ax.scatter(x, value_ratio * econ["fee"], marker="_", s=900, color="#111827", zorder=3,
               label=f"{value_ratio:g} × fee (the value rule)")
    top = np.maximum(econ["fee"] + econ["incremental_margin"], econ["perceived_value"])
    for i, (p, h) in enumerate(zip(econ["profit"], top)):
        ax.text(i, h * 1.04, f"profit {p:+,.0f}", ha="center", fontsize=9)
    ax.set_xticks(x, [f"{t}\n({f:,.0f} yuan a year)" for t, f in zip(econ.index, econ["fee"])])
    ax.set_ylabel("yuan per member per year")
    ax.set_ylim(0, float(top.max()) * 1.18)
    ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1), markerscale=0.5)
    return ax


def bundle_matrix(catalog: pd.DataFrame, tiers: list, ax=None, lang: str = "en"):
    """Which tier holds which benefit: one row per benefit (grouped by dimension), a filled cell
    per tier that holds it, coloured by dimension; benefits left out are listed in grey."""
    from matplotlib.patches import Patch, Rectangle

    cat = catalog.copy()
    order = list(DIMENSION_COLOURS)
    cat["_d"] = cat["dimension"].map(order.index)
    cat["_used"] = cat["lowest_tier"].notna()
    cat = cat.sort_values(["_used", "_d", "value"], ascending=[False, True, False]).reset_index(drop=True)
    ax = _ax(ax, (8.5, 0.34 * len(cat) + 1.2))
    n = len(cat)
    for i, r in cat.iterrows():
        y = n - 1 - i
        colour = DIMENSION_COLOURS[r["dimension"]]
        k = tiers.index(r["lowest_tier"]) if r["_used"] else len(tiers)
        for j in range(len(tiers)):
            held = j >= k
            ax.add_patch(Rectangle(
                (j + 0.08, y + 0.12), 0.84, 0.76, color=colour if held else "#f3f4f6", alpha=0.9 if held else 1))
        name = (r.get("name_zh") or r["name"]) if lang == "zh" and cjk_font() is not None else r["name"]
        ax.text(-0.1, y + 0.5, name, ha="right", va="center", fontsize=8.5,
                color="#111827" if r["_used"] else "#9ca3af")
        ax.text(len(tiers) + 0.1, y + 0.5, f"cost {r['fixed_cost']:,.0f}"
                + (f" + {r['spend_share']:.1%} of spend" if r["spend_share"] > 0 else "")
                + f" · value {r['value']:,.0f}", va="center", fontsize=8, color="#374151")
    ax.set_xlim(-0.05, len(tiers) + 0.05)
    ax.set_ylim(0, n)
    ax.set_xticks(np.arange(len(tiers)) + 0.5, tiers)
    ax.xaxis.tick_top()
    ax.set_yticks([])
    for s in ax.spines.values():
        s.set_visible(False)
    handles = [Patch(color=c, label=label(f"{BENEFIT_DIMENSIONS[d][0]} ({BENEFIT_DIMENSIONS[d][1]})"))
               for d, c in DIMENSION_COLOURS.items() if d in set(cat["dimension"])]
    ax.legend(handles=handles, frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(0, -0.01), ncol=3)
    return ax


def value_frontier(frontier: pd.DataFrame, chosen: float, ax=None):
    """Best mix-weighted profit per member-year as the value rule tightens (members must feel
    ``value_ratio`` x the fee), up to the largest feasible ratio; the chosen rule marked."""
    ax = _ax(ax, (7.5, 4.2))
    f = frontier[frontier["feasible"]]
    ax.plot(f["value_ratio"], f["objective"], "o-", color="#1d4ed8", ms=3.5, label="best design")
    near = (frontier["value_ratio"] - chosen).abs().idxmin()
    if frontier.loc[near, "feasible"]:
        ax.scatter([chosen], [frontier.loc[near, "objective"]], s=80, color="#c2410c", zorder=3,
                   label=f"chosen rule: value ≥ {chosen:g} × fee")
    top = frontier.attrs.get("max_value_ratio")
    if top is not None and np.isfinite(top):
        ax.axvline(top, color="grey", ls=":", lw=1)
        ax.text(top, ax.get_ylim()[0], f" max feasible {top:.2f}", rotation=90, va="bottom", fontsize=8)
    ax.set_xlabel("value rule: perceived value / fee (×)")
    ax.set_ylabel("mix-weighted profit (yuan per member-year)")
    ax.legend(frameon=False, fontsize=8)
    return ax


def tier_sensitivity(sens: dict, tiers: list, margin: float, causal: dict, axes=None):
    """Three panels: profit per tier as the margin moves; as the causal ratio moves (04's measured
    value and interval shaded); and the best profit when each chosen benefit's cost is lower or
    higher (a tornado, re-optimised)."""
    if axes is None:
        import matplotlib.pyplot as plt

        _, axes = plt.subplots(1, 3, figsize=(16, 4.4), gridspec_kw={"wspace": 0.65})
    a1, a2, a3 = axes
    m = sens["margin"]
    for t in tiers:
        a1.plot(m["margin"], m[t], label=t)
    a1.axvline(margin, color="grey", ls=":", lw=1)
    a1.axhline(0, color="black", lw=0.8)
    a1.set_xlabel("contribution margin on extra spend (share)")
    a1.set_ylabel("profit (yuan per member-year)")
    a1.legend(frameon=False, fontsize=8, loc="upper left")
    c = sens["causal_ratio"]
    for t in tiers:
        a2.plot(c["causal_ratio"], c[t], label=t)
    if causal.get("ci"):
        a2.axvspan(*causal["ci"], color="tab:green", alpha=0.15, label="04's 95% interval")
    a2.axvline(causal["value"], color="tab:green", lw=1)
    a2.axhline(0, color="black", lw=0.8)
    a2.set_xlabel("causal spend ratio of joining (×)")
    a2.legend(frameon=False, fontsize=8, loc="upper left")
    tor = sens["benefit_cost"].head(10).iloc[::-1]
    base = sens["objective"]
    y = np.arange(len(tor))
    a3.barh(y, tor["objective_low"] - base, left=base, color="#059669",
            label=f"cost {sens['cost_change']:.0%} lower")
    a3.barh(y, tor["objective_high"] - base, left=base, color="#c2410c",
            label=f"cost {sens['cost_change']:.0%} higher")
    a3.axvline(base, color="black", lw=0.8)
    a3.set_yticks(y, tor["name"], fontsize=8)
    a3.set_xlabel("best mix-weighted profit (yuan per member-year)")
    a3.legend(frameon=False, fontsize=8)
    return axes


def keep_tier_curve(per_member: pd.DataFrame, tiers: list, upgrade_spend: float, keep: dict | None = None,
                    min_member_days: int = 90, ax=None):
    """Share of each tier's members whose annual spend reaches a threshold (log scale), with the
    upgrade threshold and any keep-tier thresholds marked."""
    ax = _ax(ax, (7.5, 4.2))
    df = per_member[per_member["member_days"] >= min_member_days]
    grid = np.logspace(1, np.log10(max(upgrade_spend * 1.5, 100)), 200)
    for t in tiers:
        s = np.sort(df.loc[df["tier"] == t, "annual_spend"].to_numpy(float))
        if len(s):
            ax.plot(grid, 1 - np.searchsorted(s, grid, side="left") / len(s), label=f"{t} ({len(s)} members)")
    ax.axvline(upgrade_spend, color="#c2410c", ls="--", lw=1)
    ax.text(upgrade_spend, 0.95, f" upgrade at {upgrade_spend:,.0f}", color="#c2410c", fontsize=8, va="top")
    for t, v in (keep or {}).items():
        ax.axvline(float(v), color="grey", ls=":", lw=1)
        ax.text(float(v), 0.05, f" keep {t}: {float(v):,.0f}", rotation=90, fontsize=8, va="bottom")
    ax.set_xscale("log")
    ax.set_xlabel("annual spend while a member (yuan, log scale)")
    ax.set_ylabel("share of the tier's members at or above it")
    ax.set_ylim(0, 1.02)
    ax.legend(frameon=False, fontsize=8)
    return ax


def wtp_comparison(table: pd.DataFrame, ax=None):
    """Willingness to pay from the survey (95% intervals) beside the catalog's assumed value."""
    ax = _ax(ax, (7.5, 0.45 * len(table) + 1.3))
    t = table.iloc[::-1].reset_index(drop=True)
    y = np.arange(len(t))
    ax.errorbar(t["survey WTP"], y, xerr=[t["survey WTP"] - t["95% low"], t["95% high"] - t["survey WTP"]],
                fmt="o", capsize=3, color="#1d4ed8", label="survey: willingness to pay (95%)")
    ax.scatter(t["catalog value"], y, marker="x", color="#c2410c", zorder=3, label="catalog's assumption")
    ax.set_yticks(y, t["name"], fontsize=8.5)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel("value to a member (yuan a year)")
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


def phase_chart(monthly: pd.DataFrame, phases, channel_months: dict, band: dict | None = None,
                mode_switch_month: int | None = None, channel_labels: dict | None = None, axes=None):
    """Two panels sharing the month axis: above, a Gantt of the phases and of each channel's running
    months; below, members per month with the Monte Carlo band, the phases shaded and the month the
    management mode switches. ``phases``: objects with ``name``, ``first``, ``last``, ``focus``;
    ``channel_months``: channel -> list of months it runs; ``band``: ``{"low": [...], "high": [...]}``."""
    if axes is None:
        import matplotlib.pyplot as plt

        _, axes = plt.subplots(2, 1, figsize=(12, 7.5), sharex=True,
                               gridspec_kw={"height_ratios": [1.1, 1.6], "hspace": 0.08})
    a1, a2 = axes
    months = monthly["month"].to_numpy()
    last = int(months.max())
    rows = list(channel_months)
    names = channel_labels or {}
    for i, p in enumerate(phases):
        end = last if p is phases[-1] else min(p.last, last)
        colour = _phase_colour(p.name, i)
        a1.barh(len(rows), end - p.first + 1, left=p.first - 0.5, color=colour, edgecolor="white")
        a1.text((p.first + end) / 2, len(rows), p.name, ha="center", va="center", fontsize=9, weight="bold")
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
    a1.set_yticks(range(len(rows) + 1), [label(names.get(k, k)) for k in rows] + [label("phase (阶段)")], fontsize=8)
    a1.invert_yaxis()
    a1.set_xlim(0.5, last + 0.5)
    a1.tick_params(axis="x", length=0)
    a2.plot(months, monthly["members"], color="#1d4ed8", lw=2, label="members, plan")
    if band is not None:
        a2.fill_between(months, band["low"], band["high"], color="#1d4ed8", alpha=0.18, lw=0,
                        label="80% band (Monte Carlo)")
    if mode_switch_month:
        for ax in axes:
            ax.axvline(mode_switch_month - 0.5, color="#7c3aed", ls="--", lw=1.2)
        a2.text(mode_switch_month - 0.4, a2.get_ylim()[1] * 0.95, "mode switch", color="#7c3aed", fontsize=8, va="top")
    a2.set_ylim(bottom=0)
    a2.set_xlabel("month of the plan")
    a2.set_ylabel(label("paying members (付费会员)"))
    a2.legend(frameon=False, fontsize=8, loc="lower right")
    return axes


def joins_by_channel(joins: pd.DataFrame, channel_labels: dict | None = None, ax=None):
    """New members per month, stacked by channel (``joins``: month index x channel columns)."""
    ax = _ax(ax, (11, 4))
    names = channel_labels or {}
    import matplotlib

    bottom = np.zeros(len(joins))
    cmap = matplotlib.colormaps["tab10"]
    for i, c in enumerate(joins.columns):
        v = joins[c].to_numpy(float)
        if not v.any():
            continue
        ax.bar(joins.index, v, bottom=bottom, color=cmap(i % 10), label=label(names.get(c, c)), width=0.8)
        bottom += v
    ax.set_xlabel("month of the plan")
    ax.set_ylabel("new members")
    if bottom.any():
        ax.legend(frameon=False, fontsize=8, ncol=4, loc="upper left")
    return ax


def plan_pnl(monthly: pd.DataFrame, band: dict | None = None, break_even: int | None = None, axes=None):
    """Two panels: the month's money (fees and incremental margin up, costs down, profit as a line),
    and cumulative profit with its Monte Carlo band and the break-even month."""
    if axes is None:
        import matplotlib.pyplot as plt

        _, axes = plt.subplots(1, 2, figsize=(14, 4.4), gridspec_kw={"wspace": 0.25})
    a1, a2 = axes
    m = monthly["month"].to_numpy()
    up = [("fee_revenue", "fees", "#2563eb"), ("incremental_margin", "margin on extra spend", "#60a5fa")]
    down = [("benefit_cost", "benefits", "#f97316"), ("channel_cost", "channels", "#ef4444"),
            ("operating_cost", "operations", "#991b1b")]
    b = np.zeros(len(m))
    for col, name, colour in up:
        a1.bar(m, monthly[col], bottom=b, color=colour, label=name, width=0.8)
        b = b + monthly[col].to_numpy(float)
    b = np.zeros(len(m))
    for col, name, colour in down:
        a1.bar(m, -monthly[col], bottom=b, color=colour, label=name, width=0.8)
        b = b - monthly[col].to_numpy(float)
    a1.plot(m, monthly["profit"], color="black", marker="o", ms=3, lw=1.2, label="profit")
    a1.axhline(0, color="black", lw=0.8)
    a1.set_xlabel("month of the plan")
    a1.set_ylabel("yuan a month")
    a1.legend(frameon=False, fontsize=8, ncol=3, loc="lower left")
    a2.plot(m, monthly["cumulative_profit"], color="#111827", lw=2, label="plan")
    if band is not None:
        a2.fill_between(m, band["low"], band["high"], color="#6b7280", alpha=0.25, lw=0, label="80% band")
    a2.axhline(0, color="black", lw=0.8)
    if break_even:
        a2.axvline(break_even, color="#16a34a", ls="--", lw=1.2, label=f"break-even, month {break_even}")
    a2.set_xlabel("month of the plan")
    a2.set_ylabel("cumulative profit (yuan)")
    a2.legend(frameon=False, fontsize=8, loc="upper left")
    return axes


def plan_tornado(tor: pd.DataFrame, base: float, ax=None, top: int = 10):
    """Profit over the horizon with each uncertain input at its 10th (low) and 90th (high)
    percentile, the others at their point values; largest swing on top."""
    ax = _ax(ax, (9, 0.45 * min(len(tor), top) + 1.5))
    t = tor.head(top).iloc[::-1]
    y = np.arange(len(t))
    ax.barh(y, t["low"] - base, left=base, color="#c2410c", label="input at its 10th percentile")
    ax.barh(y, t["high"] - base, left=base, color="#059669", label="input at its 90th percentile")
    ax.axvline(base, color="black", lw=0.8)
    ax.set_yticks(y, [f"{a}  ({lo} .. {hi})" for a, lo, hi in zip(t["input"], t["low_value"], t["high_value"])],
                  fontsize=8)
    ax.set_xlabel("cumulative profit at the horizon (yuan)")
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    return ax


def kpi_lights(kpis: pd.DataFrame, ax=None):
    """The KPIs by phase against the plan's targets as a traffic-light table (rows: KPIs, columns:
    phases; each cell the value, its target and a colour)."""
    ax = _ax(ax, (10, 2.6))
    names = {"penetration": "penetration (渗透率)", "conversion": "conversion (转化率)",
             "renewal": "renewal (续费率)", "revenue_per_member": "revenue per member (单客产值), yuan/yr"}
    phases = list(dict.fromkeys(kpis["phase"]))
    kpi_rows = list(dict.fromkeys(kpis["kpi"]))
    text, colours = [], []
    for k in kpi_rows:
        row_t, row_c = [], []
        for p in phases:
            r = kpis[(kpis["phase"] == p) & (kpis["kpi"] == k)]
            if r.empty or not np.isfinite(r["value"].iloc[0]):
                row_t.append("-"), row_c.append(LIGHT_COLOURS[None])
                continue
            v, tg, st = r["value"].iloc[0], r["target"].iloc[0], r["status"].iloc[0]
            fmt = (lambda x: f"{x:,.0f}") if k == "revenue_per_member" else (lambda x: f"{x:.1%}")
            row_t.append(fmt(v) + ("" if tg is None or pd.isna(tg) else f"  (target {fmt(tg)})"))
            row_c.append(LIGHT_COLOURS.get(st if isinstance(st, str) else None, LIGHT_COLOURS[None]))
        text.append(row_t), colours.append(row_c)
    months = [kpis[kpis["phase"] == p]["months"].iloc[0] for p in phases]
    tab = ax.table(cellText=text, cellColours=colours, rowLabels=[label(names.get(k, k)) for k in kpi_rows],
                   colLabels=[f"{p} (months {mm})" for p, mm in zip(phases, months)], loc="center", cellLoc="center")
    tab.auto_set_font_size(False)
    tab.set_fontsize(9)
    tab.scale(1, 1.6)
    ax.axis("off")
    return ax


def mode_comparison(modes: pd.DataFrame, ax=None):
    """Profit over the horizon and operating cost under each management mode and the plan's rule."""
    ax = _ax(ax, (8, 3.5))
    y = np.arange(len(modes))
    ax.barh(y - 0.18, modes["profit"], height=0.36, color="#2563eb", label="cumulative profit")
    ax.barh(y + 0.18, -modes["operating_cost"], height=0.36, color="#991b1b", label="operating cost (negative)")
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(y, [label(m) for m in modes["mode"]])
    ax.invert_yaxis()
    ax.set_xlabel("yuan over the horizon")
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    return ax
