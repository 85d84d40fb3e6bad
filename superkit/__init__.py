"""superkit: research and playbook kit for super-user and paid-membership programs.

Layers (arrows point down only; ``ARCHITECTURE.md`` is the map)::

    cli, report      the command line; running notebooks into an HTML report
    analyses         one module per notebook question: run(tables, **params) -> Result
    models | data    estimators (math only)  |  tables, reading rules, datasets, simulator, summaries
    core             errors, constants, checks, intervals, safe writing, paths
"""
from superkit.core.errors import DataError, EngineError, ModelError, ParameterError

__version__ = "0.1.0"
__all__ = ["DataError", "EngineError", "ModelError", "ParameterError", "__version__"]
