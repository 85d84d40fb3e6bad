"""The models layer: estimators, their math only, one per module on one base.

* ``base`` -- the fitted-model surface, the one maximum-likelihood loop, the one Hessian;
* ``count`` -- what the purchase-count models share; ``bgnbd``, ``mbgnbd``, ``pareto_nbd``;
  ``registry`` -- them by name;
* ``gamma_gamma`` -- spend per purchase, and customer lifetime value;
* ``sbg`` -- shifted-beta-geometric renewal;
* ``fe_poisson`` -- Poisson with absorbed customer and month effects (the causal effect of joining);
* ``choice_logit`` -- multinomial logit for conjoint choices, willingness to pay;
* ``tier_design`` -- the mixed-integer program that puts benefits into nested tiers;
* ``units`` -- time units and discounting.

Models take arrays and give arrays: nothing here imports the data, analyses or report layers.
"""
from superkit.core.lazy import lazy_exports

# Imported on first use (PEP 562): scoring customers needs the count models and Gamma-Gamma, not the
# renewal, choice, causal and tier models (whose imports of scipy.stats and the MILP solver cost a
# second of every `superkit score`).
_EXPORTS = {
    "base": ["FittedModel", "MLEModel", "compress"],
    "bgnbd": ["BetaGeoModel", "simulate_bgnbd_summary"],
    "choice_logit": ["ChoiceLogit"],
    "count": ["CountModel"],
    "fe_poisson": ["FixedEffectsPoisson", "OneHot", "ppml_fe"],
    "gamma_gamma": ["GammaGammaAssumptionWarning", "GammaGammaModel", "customer_lifetime_value", "gamma_gamma_check"],
    "mbgnbd": ["ModifiedBetaGeoModel"],
    "pareto_nbd": ["ParetoNBDModel"],
    "registry": ["COUNT_MODEL_LABELS", "COUNT_MODELS", "fit_count_model"],
    "sbg": ["Durations", "ShiftedBetaGeometric"],
    "tier_design": ["TierDesign", "design_tiers"],
}


__getattr__ = lazy_exports(__name__, _EXPORTS, globals())

__all__ = [
    "BetaGeoModel",
    "COUNT_MODELS",
    "COUNT_MODEL_LABELS",
    "ChoiceLogit",
    "CountModel",
    "Durations",
    "FittedModel",
    "FixedEffectsPoisson",
    "GammaGammaAssumptionWarning",
    "GammaGammaModel",
    "MLEModel",
    "ModifiedBetaGeoModel",
    "OneHot",
    "ParetoNBDModel",
    "ShiftedBetaGeometric",
    "TierDesign",
    "compress",
    "customer_lifetime_value",
    "design_tiers",
    "fit_count_model",
    "gamma_gamma_check",
    "ppml_fe",
    "simulate_bgnbd_summary",
]
