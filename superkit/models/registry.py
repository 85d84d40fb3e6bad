"""The purchase-count models by name, as notebooks and the command line choose them."""
from __future__ import annotations

from superkit.core.checks import check_choice
from superkit.models.bgnbd import BetaGeoModel
from superkit.models.count import CountModel
from superkit.models.mbgnbd import ModifiedBetaGeoModel
from superkit.models.pareto_nbd import ParetoNBDModel

__all__ = ["COUNT_MODELS", "COUNT_MODEL_LABELS", "fit_count_model"]

COUNT_MODELS = {"bgnbd": BetaGeoModel, "mbgnbd": ModifiedBetaGeoModel, "pareto_nbd": ParetoNBDModel}
COUNT_MODEL_LABELS = {"bgnbd": "BG/NBD", "mbgnbd": "MBG/NBD", "pareto_nbd": "Pareto/NBD"}


def fit_count_model(name: str, frequency, recency, T, penalizer_coef: float = 0.0, **kw) -> CountModel:
    """Fit the purchase-count model called ``name`` (bgnbd, mbgnbd, pareto_nbd)."""
    check_choice("model", name, COUNT_MODELS)
    return COUNT_MODELS[name](penalizer_coef=penalizer_coef).fit(frequency, recency, T, **kw)
