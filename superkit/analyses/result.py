"""What every analysis returns: a result object that a notebook displays and publishes.

Each analysis module has ``run(tables, **params) -> <Name>Result``. The result holds the tables and
fitted models a notebook shows and plots, a one-sentence ``headline`` that states the finding, and
``to_json()``: the numbers the notebook publishes (JSON-safe: NaN and inf become null).
"""
from __future__ import annotations

from superkit.core.i18n import check_language
from superkit.core.io import to_jsonable

__all__ = ["Result"]


class Result:
    """Base of the analyses' results: subclasses implement :meth:`_json` and :attr:`headline`."""

    @property
    def headline(self) -> str:
        """One or two sentences with the finding, for the report's index and the notebook (English)."""
        return self.headline_text("en")

    def headline_text(self, lang: str = "en") -> str:  # pragma: no cover - every result overrides it
        """The headline in ``lang`` ("en" or "zh"), from the catalogue's texts."""
        raise NotImplementedError

    def _json(self, **files) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError

    def to_json(self, lang: str = "en", **files) -> dict:
        """The published results as a JSON-safe dict; ``files`` names files the notebook wrote
        (e.g. ``list_file="potential_super_users.csv"``), published by name, never by path. The
        ``headline`` is in ``lang`` (the numbers and keys are the same in every language)."""
        out = self._json(**files)
        if "headline" in out and check_language(lang) != "en":
            out["headline"] = self.headline_text(lang)
        return to_jsonable(out)
