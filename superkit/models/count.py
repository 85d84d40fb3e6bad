"""What the purchase-count models (BG/NBD, MBG/NBD, Pareto/NBD) share on top of :class:`MLEModel`.

They follow ``lifetimes``' parameter names and conventions, so results compare one to one with the
reference library:

* exact compression: customers with identical ``(frequency, recency, T)`` rows are fitted and
  predicted once, with a weight (lifetimes' ``weights``);
* time scaled so that the longest customer age is 1 while fitting (parameters that carry the time
  unit, e.g. ``alpha``, are scaled back), as lifetimes does, so the L2 ``penalizer_coef`` means the
  same thing; BG/NBD and MBG/NBD minimise the mean negative log-likelihood plus the penalty,
  Pareto/NBD the summed one plus the penalty, divided by n -- lifetimes' objectives, so the optimum
  is the same as lifetimes';
* predictions that overflow are explained, never returned as NaN.

Recency and T are in the summary's unit (days or weeks); so are horizons.
"""
from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import pandas as pd

from superkit.core.errors import DataError, ModelError, ParameterError
from superkit.models.base import MLEModel, compress

__all__ = ["CountModel", "Levels", "as_array", "check_rft", "last_arrival", "levels_of"]


def as_array(values, name: str) -> np.ndarray:
    """A finite float array, or DataError naming the column of the summary."""
    arr = np.asarray(values, dtype=float).ravel()
    bad = ~np.isfinite(arr)
    if bad.any():
        raise DataError("has missing or infinite values", source="summary", column=name,
                        rows=int(bad.sum()), fix="drop or fill those customers before fitting.")
    return arr


def check_rft(frequency, recency, T):
    """Check a (frequency, recency, T) summary; return the three arrays (recency capped at T)."""
    x = as_array(frequency, "frequency")
    rec = as_array(recency, "recency")
    t = as_array(T, "T")
    if not (len(x) == len(rec) == len(t)):
        raise DataError("frequency, recency and T have different lengths", source="summary")
    if len(x) == 0:
        raise DataError("has no customers", source="summary", fix="check the summary file.")
    checks = [
        (x < 0, "frequency", "is negative", "frequency counts repeat purchase days (0 or more)."),
        (x != np.round(x), "frequency", "is not a whole number",
         "frequency counts repeat purchase days; use the output of `superkit summarize`."),
        (rec < 0, "recency", "is negative", "recency is the age at the last purchase (0 or more)."),
        (rec > t * (1 + 1e-9) + 1e-9, "recency", "is larger than T",
         "recency (age at last purchase) can't exceed T (age at the end of observation)."),
        ((x > 0) & (rec <= 0), "recency", "is 0 for repeat buyers",
         "customers with repeat purchases have recency > 0; check the summary."),
        (t <= 0, "T", "is not positive", "T is the customer's age at the end of observation; drop "
         "customers who first bought on the last day."),
    ]
    for bad, col, problem, fix in checks:
        if bad.any():
            raise DataError(problem, source="summary", column=col, rows=int(bad.sum()), fix=fix)
    return x, np.minimum(rec, t), t


def last_arrival(x, n_events, t, rng) -> np.ndarray:
    """Age at the x-th of ``n_events`` uniform arrivals on (0, t]: ``t * Beta(x, n_events - x + 1)``
    (0 where x is 0) -- the recency of a simulated customer."""
    rec = np.zeros(len(t))
    pos = x > 0
    rec[pos] = t[pos] * rng.beta(x[pos], n_events[pos] - x[pos] + 1)
    return rec


def _finite_or_raise(out, name, what, frequency):
    bad = ~np.isfinite(out)
    if np.any(bad):
        rows = bad if bad.ndim == 1 else bad.any(axis=1)
        fmax = float(np.max(np.asarray(frequency, float)[rows]))
        raise ModelError(
            f"{name}: {what} overflowed for {int(rows.sum()):,} customer(s) (most repeat purchases "
            f"among them: {fmax:,.0f}). Remedy: summarise in weeks (unit='W') instead of days, cap "
            f"or inspect these very heavy buyers (they may be businesses or test accounts), or "
            f"try another model.")
    return out


class Levels:
    """The distinct values of the fitted rows' columns (frequency is a count, recency and T whole
    days or weeks: hundreds of values for hundreds of thousands of rows), so that a likelihood
    computes its special functions once per value, not once per row: ``on(column, f)`` is
    ``f(column)`` for a column of the fit, computed on its distinct values; ``pairs(a, b, f)`` is
    ``f(a, b)`` computed on the distinct pairs of two columns (frequency with recency or with T:
    tens of thousands of pairs for hundreds of thousands of rows). numpy has no such memoised map,
    hence this helper."""

    def __init__(self, columns):
        self._by_id = {}
        self._levels = {}
        self._pairs = {}
        for col in columns:
            values, inverse = np.unique(col, return_inverse=True)
            self._levels[id(col)] = (col, values, inverse.reshape(-1))
            if len(values) * 4 <= len(col):        # worth it only when values repeat
                self._by_id[id(col)] = self._levels[id(col)]

    def on(self, column, f):
        hit = self._by_id.get(id(column))
        if hit is None or hit[0] is not column:
            return f(column)
        return f(hit[1])[hit[2]]

    def pairs(self, a, b, f):
        ha, hb = self._levels.get(id(a)), self._levels.get(id(b))
        if ha is None or hb is None or ha[0] is not a or hb[0] is not b:
            return f(a, b)
        key = (id(a), id(b))
        if key not in self._pairs:
            # the pairs in sorted order, from the columns' codes (not :func:`compress`, whose rows come
            # in order of appearance: a Pareto/NBD fit on sorted pairs measured 1.7 s against 2.3 s)
            nb = len(hb[1])
            codes, inverse = np.unique(ha[2].astype(np.int64) * nb + hb[2], return_inverse=True)
            worth = len(codes) * 2 <= len(a)        # only when pairs repeat
            self._pairs[key] = (ha[1][codes // nb], hb[1][codes % nb], inverse.reshape(-1)) if worth else None
        hit = self._pairs[key]
        if hit is None:
            return f(a, b)
        return f(hit[0], hit[1])[hit[2]]

    @classmethod
    @contextmanager
    def on_model(cls, model, data):
        """The levels of a fit's rows ``data`` on ``model`` (:func:`levels_of`) while the block runs."""
        model._levels = cls(data[:3])
        try:
            yield
        finally:
            model._levels = None


_NO_LEVELS = Levels(())


def levels_of(model) -> "Levels":
    """The model's fit levels (an empty :class:`Levels` outside a fit)."""
    return getattr(model, "_levels", None) or _NO_LEVELS


class CountModel(MLEModel):
    """A model of repeat purchases and silent dropout fitted on ``(frequency, recency, T)``."""

    scaled_params: tuple[str, ...] = ("alpha",)  # parameters that carry the time unit
    sum_objective = False  # Pareto/NBD in lifetimes: summed (not mean) log-likelihood
    obs_label = "customers"
    lifetimes_class = ""
    edge = 10.0  # time is scaled to [0, 1]: exp(+-10) means the parameter ran off to 0 or infinity

    def __init__(self, penalizer_coef: float = 0.0):
        if not penalizer_coef >= 0:
            raise ParameterError("penalizer_coef", f"must be 0 or more, got {penalizer_coef}",
                                 fix="e.g. 0.001 to 0.1 when a fit does not converge.")
        self.penalizer_coef = float(penalizer_coef)

    # -- the likelihood ------------------------------------------------------------------------
    def _loglik(self, params, x, rec, t, need_grad):  # pragma: no cover - abstract
        raise NotImplementedError

    def _objective(self, log_params, data, with_grad=True):
        x, rec, t, w, n_total = data
        params = np.exp(log_params)
        ll, grad = self._loglik(params, x, rec, t, with_grad and not self.numeric_gradient)
        pen = self.penalizer_coef * np.sum(params ** 2)
        if self.sum_objective:
            f = (-np.einsum('i,i->', w, ll) + pen) / n_total
        else:
            f = -np.einsum('i,i->', w, ll) / n_total + pen
        if not np.isfinite(f):
            return (np.inf, np.zeros_like(log_params)) if grad is not None else np.inf
        if grad is None:
            return f
        # d/dlog(theta) = theta * d/dtheta
        g = -np.einsum('i,ij->j', w, grad) * params / n_total
        pen_g = 2.0 * self.penalizer_coef * params ** 2
        g = g + (pen_g / n_total if self.sum_objective else pen_g)
        return f, g

    def _penalty(self, x) -> float:
        pen = self.penalizer_coef * float(np.sum(np.exp(x) ** 2))
        return pen / self._fit_n if self.sum_objective else pen

    def _remedy(self, data) -> str:
        return ("add a small penalty (penalizer_coef=0.001 to 0.1), try another model (bgnbd, mbgnbd, "
                "pareto_nbd), or use more data (more repeat buyers or a longer calibration period).")

    def _no_finite_start(self, data) -> str:
        return (f"{self.name}: the log-likelihood overflows at the starting values (heaviest buyer "
                f"has {int(data[0].max()):,} repeat purchases). Remedy: summarise in weeks (unit='W') "
                "rather than days.")

    def fit(self, frequency, recency, T, weights=None, start=None):
        """Fit by maximum likelihood; ``weights`` counts customers per row (as in lifetimes).
        ``start``: parameters to start from (``{name: value}``, e.g. a fit on a sample of the same
        customers), which saves most of the iterations on millions of customers; the usual starting
        points are tried when the fit from there fails."""
        x, rec, t = check_rft(frequency, recency, T)
        w_in = None if weights is None else as_array(weights, "weights")
        n_repeat = int(np.sum((x > 0) * (1 if w_in is None else w_in)))
        if n_repeat == 0:
            raise ModelError(
                f"{self.name}: no repeat buyers: every customer bought on one day only, so the data "
                "say nothing about purchase rates or dropout. Remedy: use a longer observation "
                "window (or a later calibration_end), or check that customer ids are consistent.")
        (ux, ur, ut), w, _ = compress(x, rec, t, weights=w_in)
        self._scale = 1.0 / t.max()
        n_total = float(w.sum())
        self._fit_n = n_total
        data = (ux, ur * self._scale, ut * self._scale, w, n_total)
        x0 = None
        if start is not None:
            p0 = np.array([float(start[k]) * (self._scale if k in self.scaled_params else 1.0)
                           for k in self.param_names])
            x0 = np.log(p0) if np.all(p0 > 0) and np.all(np.isfinite(p0)) else None
        with Levels.on_model(self, data):
            try:
                res = self._fit_mle(data, n_total, x0=x0)
            except ModelError:
                if x0 is None:
                    raise
                res = self._fit_mle(data, n_total)
        self.params_ = pd.Series(self._from_scaled(np.exp(res.x)), index=list(self.param_names))
        self.n_unique_rows_ = int(len(ux))
        return self

    def _covariance(self):
        """The shared Hessian (:meth:`MLEModel._covariance`), with the fit's levels (:class:`Levels`)."""
        with Levels.on_model(self, self._fit_data):
            return super()._covariance()

    def _from_scaled(self, params):
        out = np.array(params, dtype=float)
        for k, n in enumerate(self.param_names):
            if n in self.scaled_params:
                out[k] /= self._scale
        return out

    def _p(self):
        self._check_fitted()
        return [float(self.params_[n]) for n in self.param_names]

    # -- predictions on compressed rows ---------------------------------------------------------
    def _rowwise(self, func, frequency, recency, T, *extra):
        x, rec, t = check_rft(frequency, recency, T)
        if len(x) > 5000:
            (ux, ur, ut), _, inv = compress(x, rec, t)
            out = func(ux, ur, ut, *extra)
            return out[inv] if out.ndim == 1 else out[inv, :]
        return func(x, rec, t, *extra)

    def conditional_probability_alive(self, frequency, recency, T) -> np.ndarray:
        """P(alive | frequency, recency, T): the customer has not silently dropped out."""
        out = self._rowwise(self._palive, frequency, recency, T)
        return _finite_or_raise(out, self.name, "P(alive)", frequency)

    def conditional_expected_number_of_purchases_up_to_time(self, t, frequency, recency, T):
        """Expected repeat purchases in the next ``t`` time units (scalar or 1-D array of times).

        Returns one value per customer for scalar ``t``; a (customers x times) array otherwise.
        """
        times = np.atleast_1d(np.asarray(t, dtype=float))
        if np.any(times < 0):
            raise ParameterError("t", f"the horizon must be 0 or more, got {times.min()}")
        out = self._rowwise(lambda x, r, tt: self._cond_exp(times[None, :], x[:, None],
                                                            r[:, None], tt[:, None]),
                            frequency, recency, T)
        out = _finite_or_raise(out, self.name, "expected purchases", frequency)
        return out[:, 0] if np.ndim(t) == 0 else out

    predict = conditional_expected_number_of_purchases_up_to_time

    def expected_number_of_purchases_up_to_time(self, t):  # pragma: no cover - abstract
        """Unconditional expected repeat purchases by time t for a new customer."""
        raise NotImplementedError

    # -- the generative process -----------------------------------------------------------------
    def _draw(self, t, rng):  # pragma: no cover - abstract
        """(frequency, recency) of customers with ages ``t`` under the fitted process."""
        raise NotImplementedError

    def simulate(self, T, seed=0) -> pd.DataFrame:
        """Customers drawn from the fitted process, one per age in ``T`` (in the summary's unit):
        ``frequency, recency, T`` as a summary would give them (continuous time)."""
        self._check_fitted()
        t = np.asarray(T, dtype=float).ravel()
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        x, rec = self._draw(t, rng)
        return pd.DataFrame({"frequency": x.astype(float), "recency": rec, "T": t})

    # -- interop -----------------------------------------------------------------------------
    def to_lifetimes(self, frequency=None, recency=None, T=None):
        """A lifetimes fitter carrying these parameters (for lifetimes' plots and extra methods)."""
        import lifetimes

        cls = getattr(lifetimes, self.lifetimes_class)
        m = cls(penalizer_coef=self.penalizer_coef)
        m.params_ = self.params_.copy()
        if frequency is not None:
            m.data = pd.DataFrame({"frequency": np.asarray(frequency, float),
                                   "recency": np.asarray(recency, float),
                                   "T": np.asarray(T, float)})
            m.data["weights"] = 1
            from lifetimes import generate_data

            gen = {"BetaGeoFitter": "beta_geometric_nbd_model",
                   "ModifiedBetaGeoFitter": "modified_beta_geometric_nbd_model",
                   "ParetoNBDFitter": "pareto_nbd_model"}[self.lifetimes_class]
            g = getattr(generate_data, gen)
            tt = np.asarray(T, float)
            m.generate_new_data = lambda size=1: g(tt, *self._p(), size=size)
        m.predict = m.conditional_expected_number_of_purchases_up_to_time
        return m
