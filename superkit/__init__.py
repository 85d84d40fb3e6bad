"""superkit: research and playbook kit for super-user and paid-membership programs.

Layers (data flows one way): ``contract`` (read + validate) -> ``summary`` (one row per
customer) -> models (``segments``, ``clv``, ``renewal``, ``uplift``, ...) -> notebooks / report.
"""
from superkit.errors import DataError

__version__ = "0.1.0"
__all__ = ["DataError", "__version__"]
