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
from superkit.models.base import FittedModel, MLEModel, compress
from superkit.models.bgnbd import BetaGeoModel, simulate_bgnbd_summary
from superkit.models.choice_logit import ChoiceLogit
from superkit.models.count import CountModel
from superkit.models.fe_poisson import FixedEffectsPoisson, ppml_fe
from superkit.models.gamma_gamma import (GammaGammaAssumptionWarning, GammaGammaModel,
                                         customer_lifetime_value, gamma_gamma_check)
from superkit.models.mbgnbd import ModifiedBetaGeoModel
from superkit.models.pareto_nbd import ParetoNBDModel
from superkit.models.registry import COUNT_MODEL_LABELS, COUNT_MODELS, fit_count_model
from superkit.models.sbg import Durations, ShiftedBetaGeometric
from superkit.models.tier_design import TierDesign, design_tiers

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
