"""What every estimator shares: the fitted-model surface, one maximum-likelihood loop, one Hessian.

* :class:`FittedModel` -- the surface of a fitted model, as lifetimes' ``BaseFitter`` and
  pymc-marketing's ``CLVModel`` have it: ``params_`` (a Series named after the paper's symbols),
  ``params`` (a plain dict), a not-fitted guard, ``standard_errors()``, ``conf_int()``,
  ``summary()`` (estimate, standard error and interval per parameter), ``__repr__``; and the
  generative process on the model (``simulate``), so diagnostics ask the model to simulate itself.
* :class:`MLEModel` -- one fitting loop for every likelihood model: L-BFGS-B over log-parameters
  (so positive parameters stay positive), from one or more starting points, with one convergence
  rule: the objective is finite, no log-parameter sits at the model's edge (the data cannot pin it
  down) and the gradient is below :attr:`MLEModel.grad_tol`. Each model declares its settings
  (starting points, box, edge, optimiser options) and its remedy text; none has a loop of its own.
* :func:`numerical_hessian` -- the one Hessian: central differences of the gradient, symmetrised.
  Covariances are the inverse observed information on the log scale; standard errors on the
  natural scale follow by the delta method.
* :func:`compress` -- exact compression of identical rows into weights (fits and predictions run
  on distinct rows only).

Nothing here imports the data layer: models take arrays and give arrays.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from superkit.core.errors import ModelError
from superkit.core.stats import wald_interval

__all__ = ["FittedModel", "MLEModel", "compress", "numerical_hessian"]


def compress(*columns, weights=None):
    """Exact compression of identical rows.

    Returns ``(unique_columns, weights, inverse)`` with ``unique_columns[k][inverse] == columns[k]``
    and ``weights`` the summed weight (count) of each unique row. Hash-based, O(n).
    """
    cols = [np.asarray(c, dtype=float).ravel() for c in columns]
    n = len(cols[0])
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float).ravel()
    key = np.zeros(n, dtype=np.int64)
    radix = 1
    codes = []
    for c in cols:
        code, uniq = pd.factorize(c)
        codes.append((code, len(uniq)))
    overflow = False
    for code, size in codes:
        if radix * max(size, 1) >= 2 ** 62:
            overflow = True
            break
        key += code.astype(np.int64) * radix
        radix *= max(size, 1)
    if overflow:  # extremely many distinct values: fall back to a multi-column factorisation
        inverse = pd.MultiIndex.from_arrays(cols).factorize()[0]
    else:
        inverse, _ = pd.factorize(key)
    n_unique = int(inverse.max()) + 1
    # factorize numbers rows in order of first appearance: a row is new when its code exceeds
    # every code before it
    run_max = np.maximum.accumulate(inverse)
    first = np.flatnonzero(np.r_[True, inverse[1:] > run_max[:-1]])
    uniq_cols = tuple(c[first] for c in cols)
    wsum = np.bincount(inverse, weights=w, minlength=n_unique)
    return uniq_cols, wsum, inverse


def numerical_hessian(gradient, x, h: float = 1e-5) -> np.ndarray:
    """Hessian at ``x`` by central differences of ``gradient`` (a function of x), symmetrised."""
    x = np.asarray(x, dtype=float)
    k = len(x)
    H = np.empty((k, k))
    for i in range(k):
        e = np.zeros(k)
        e[i] = h
        H[:, i] = (np.asarray(gradient(x + e)) - np.asarray(gradient(x - e))) / (2 * h)
    return (H + H.T) / 2


class FittedModel:
    """The fitted-model surface shared by every estimator (see the module docstring).

    Subclasses set ``name`` and ``param_names``; fitting sets ``params_`` (and ``n_obs_``) and,
    for standard errors, either ``cov_`` or a way to compute it (:meth:`_covariance`): the
    covariance of the parameters on the estimation scale, which is the log scale unless
    ``log_scale`` is False.
    """

    name = ""
    param_names: tuple[str, ...] = ()
    log_scale = True           # parameters are estimated on the log scale (all positive)
    obs_label = "observations"

    # -- state ----------------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if getattr(self, "params_", None) is None:
            raise ModelError(f"{type(self).__name__} is not fitted yet: call .fit(...) first.")

    @property
    def params(self) -> dict:
        """Fitted parameters as a plain ``{name: float}`` dict (JSON-ready)."""
        self._check_fitted()
        return {k: float(v) for k, v in pd.Series(self.params_).items()}

    def __repr__(self) -> str:
        if getattr(self, "params_", None) is None:
            return f"<{type(self).__name__} (not fitted)>"
        ps = ", ".join(f"{k}: {v:.4g}" for k, v in self.params.items())
        n = getattr(self, "n_obs_", None)
        size = f" ({n:,.0f} {self.obs_label})" if n is not None else ""
        return f"<{type(self).__name__}{size} {ps}>"

    # -- uncertainty -----------------------------------------------------------------------------
    def _covariance(self):  # pragma: no cover - models that have one override it
        return None

    @property
    def cov_(self):
        """Covariance of the parameters on the estimation scale (None when the information matrix
        is singular); computed once, on first use."""
        self._check_fitted()
        if not hasattr(self, "_cov"):
            self._cov = self._covariance()
        return self._cov

    def standard_errors_log(self) -> pd.Series:
        """Standard errors on the estimation scale (log-parameters), NaN when unavailable."""
        cov = self.cov_
        se = np.sqrt(np.clip(np.diag(cov), 0, None)) if cov is not None else np.full(len(self.param_names), np.nan)
        return pd.Series(se, index=list(self.param_names))

    def standard_errors(self) -> pd.Series:
        """Asymptotic standard errors on the natural scale (delta method from the log scale)."""
        se = self.standard_errors_log()
        if not self.log_scale:
            return se
        return pd.Series(np.asarray(pd.Series(self.params_), float) * se.to_numpy(), index=se.index)

    def conf_int(self, level: float = 0.95) -> dict:
        """Wald intervals (on the log scale for positive parameters): ``{name: (low, high)}``."""
        self._check_fitted()
        est = pd.Series(self.params_).astype(float)
        se = self.standard_errors_log()
        return {k: wald_interval(float(est[k]), float(se[k]), level, log=self.log_scale)
                for k in self.param_names}

    def summary(self, level: float = 0.95) -> pd.DataFrame:
        """One row per parameter: estimate, standard error, and the ``level`` interval."""
        self._check_fitted()
        ci = self.conf_int(level)
        est = pd.Series(self.params_).astype(float)
        return pd.DataFrame({"estimate": est[list(self.param_names)].to_numpy(),
                             "se": self.standard_errors().to_numpy(),
                             "lower": [ci[k][0] for k in self.param_names],
                             "upper": [ci[k][1] for k in self.param_names]},
                            index=pd.Index(list(self.param_names), name="parameter"))

    def simulate(self, *args, **kwargs):  # pragma: no cover - every model overrides it
        """Draw data from the fitted model's generative process."""
        raise NotImplementedError


class MLEModel(FittedModel):
    """One maximum-likelihood loop for every model (see the module docstring).

    A model implements ``_objective(x, data, with_grad)`` -- the objective over log-parameters
    ``x`` on the model's estimation scale: the negative log-likelihood divided by ``n`` plus any
    penalty, returning ``(f, gradient)`` or, with ``with_grad`` False or ``numeric_gradient``
    True, ``f`` alone -- and ``_penalty(x)``, the penalty's share of ``f``. It declares its
    settings as class attributes and its remedy in :meth:`_remedy`.
    """

    starts: tuple = ((0.1,),)          # starting log-parameters (one tuple a start); (0.1,) repeats
    log_bound = 30.0                   # optimiser box on each log-parameter
    edge = 10.0                        # |log-parameter| at or beyond this: ran off to 0 or infinity
    grad_tol = 1e-4                    # largest gradient (per observation) accepted as converged
    numeric_gradient = False           # central differences instead of an analytic gradient
    options = {"maxiter": 2000, "ftol": 1e-13, "gtol": 1e-10, "maxcor": 20}
    hessian_step = 1e-5

    # -- what a model supplies ------------------------------------------------------------------
    def _objective(self, x, data, with_grad=True):  # pragma: no cover - abstract
        raise NotImplementedError

    def _penalty(self, x) -> float:
        return 0.0

    def _label(self) -> str:
        return self.name

    def _remedy(self, data) -> str:
        return "use more data."

    def _no_finite_start(self, data) -> str:
        return (f"{self._label()}: the log-likelihood is not finite at any starting value. Remedy: "
                f"{self._remedy(data)}")

    # -- the loop ----------------------------------------------------------------------------
    def _value(self, x, data) -> float:
        out = self._objective(x, data, with_grad=False)
        return float(out[0] if isinstance(out, tuple) else out)

    def _gradient(self, x, data, h: float = 1e-6) -> np.ndarray:
        if not self.numeric_gradient:
            return np.asarray(self._objective(x, data, with_grad=True)[1])
        g = np.zeros(len(x))
        for k in range(len(x)):
            e = np.zeros(len(x))
            e[k] = h
            g[k] = (self._value(x + e, data) - self._value(x - e, data)) / (2 * h)
        return g

    def _start_points(self) -> list[np.ndarray]:
        k = len(self.param_names)
        return [np.full(k, s[0]) if len(s) == 1 else np.asarray(s, dtype=float) for s in self.starts]

    def _fit_mle(self, data, n_obs: float, x0=None):
        """Minimise the objective; set ``log_params_``, ``log_likelihood_``, ``n_obs_`` and
        ``optimizer_result_``; raise ModelError with the model's remedy when it does not converge."""
        if self.numeric_gradient:
            fun = lambda x: self._value(x, data)  # noqa: E731
            jac = lambda x: self._gradient(x, data)  # noqa: E731
        else:
            fun = lambda x: self._objective(x, data, with_grad=True)  # noqa: E731
            jac = True
        bounds = [(-self.log_bound, self.log_bound)] * len(self.param_names)
        best = None
        starts = self._start_points() if x0 is None else [np.asarray(x0, dtype=float)]
        for start in starts:
            if not np.isfinite(self._value(start, data)):
                continue
            try:
                with np.errstate(all="ignore"):
                    res = minimize(fun, start, jac=jac, method="L-BFGS-B", bounds=bounds,
                                   options=self.options)
            except (FloatingPointError, ValueError):
                continue
            if np.isfinite(res.fun) and (best is None or res.fun < best.fun):
                best = res
            if best is not None and self._converged(best, data)[0]:
                break  # the other starts only guard against failures
        if best is None:
            raise ModelError(self._no_finite_start(data))
        ok, cause = self._converged(best, data)
        if not ok:
            raise ModelError(f"{self._label()}: the fit did not converge: {cause}. "
                             f"Remedy: {self._remedy(data)}")
        self.log_params_ = best.x
        self.log_likelihood_ = float(-(best.fun - self._penalty(best.x)) * n_obs)
        self.n_obs_ = n_obs
        self.optimizer_result_ = best
        self._fit_data = data
        self.__dict__.pop("_cov", None)
        return best

    def _converged(self, res, data) -> tuple[bool, str]:
        on_edge = np.abs(res.x) >= self.edge
        if on_edge.any():
            what = ", ".join(n for n, e in zip(self.param_names, on_edge) if e)
            return False, f"parameter(s) {what} ran off to 0 or infinity"
        gnorm = float(np.max(np.abs(self._gradient(res.x, data))))
        if not np.isfinite(gnorm) or gnorm > self.grad_tol:
            return False, f"the optimiser stopped with gradient {gnorm:.2g} ({res.message})"
        return True, ""

    def _covariance(self):
        """Inverse observed information on the log scale (None when singular)."""
        x, data, n = self.log_params_, self._fit_data, self.n_obs_
        H = numerical_hessian(lambda q: self._gradient(q, data), x, self.hessian_step)
        try:
            cov = np.linalg.inv(H * n)  # the objective is per observation: information = n * H
        except np.linalg.LinAlgError:
            return None
        if not np.all(np.isfinite(cov)) or np.any(np.diag(cov) <= 0):
            return None
        return cov
