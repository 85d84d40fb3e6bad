"""The floor every layer stands on: error types, constants, checks, intervals, safe writing, paths,
lazy package imports.

Nothing here imports another part of superkit.
"""
from superkit.core.errors import DataError, EngineError, ModelError, ParameterError

__all__ = ["DataError", "EngineError", "ModelError", "ParameterError"]
