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

__all__ = [
    "CJK_FONTS",
    "calendar_forecast",
    "calibration_vs_holdout",
    "cjk_font",
    "clv_deciles",
    "criteria_by_status",
    "cumulative_tracking",
    "discounted_value",
    "event_study",
    "four_readings",
    "frequency_recency_heatmap",
    "gate_funnel",
    "label",
    "lorenz",
    "period_transactions",
    "survival_and_renewal",
    "theta_shift",
    "use_style",
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
