"""The data layer: the contract's tables, their reading rules, bundled data, the simulator, summaries.

* ``spec`` -- the tables and their columns; ``reading`` -- the reading rules (encodings, layouts,
  date and amount formats, ids, time zones), defined once and run by every path; ``rules`` -- how
  bad input is reported, shared by every path that reads data; ``quality`` -- the data-quality
  profile and the cross-table checks;
* ``contract`` -- the pandas readers; ``tables`` -- :func:`load_tables`, the one entry point every
  notebook uses; ``datasets`` -- bundled data sets; ``simulate`` -- a world with known truth;
  ``survey`` -- conjoint survey designs and simulated answers with known willingness to pay;
* ``summary`` -- transactions -> one row per customer, written once in ``summary.sql`` and run by an
  engine (``duckdb_engine``; others go beside it).

Imports only :mod:`superkit.core`.
"""
import sys
import types

from superkit.core.lazy import lazy_exports

# Imported on first use (PEP 562): ``superkit summarize`` reads files with DuckDB alone and must not
# pay for importing pandas, which the readers below need.
_EXPORTS = {
    "contract": ["READERS", "read_benefits", "read_choices", "read_cohorts", "read_contacts", "read_events",
                 "read_members", "read_transactions", "validate"],
    "quality": ["profile_tables"],
    "reading": ["ReadOptions", "read_options"],
    "simulate": ["World", "simulate"],
    "summary": ["get_engine", "summarize", "summarize_to_file"],
    "tables": ["Tables", "load_tables", "resolve_path"],
}


class _DataPackage(types.ModuleType):
    """``superkit.data.simulate`` is the function, as the eager imports made it: importing the
    submodule of the same name binds the module on the package, which must not replace it."""

    @property
    def simulate(self):
        from superkit.data.simulate import simulate
        return simulate

    @simulate.setter
    def simulate(self, value):   # the import system binding the submodule: the function stays
        pass


sys.modules[__name__].__class__ = _DataPackage


__getattr__ = lazy_exports(__name__, _EXPORTS, globals())

__all__ = [
    "READERS",
    "ReadOptions",
    "Tables",
    "World",
    "get_engine",
    "load_tables",
    "profile_tables",
    "read_benefits",
    "read_choices",
    "read_cohorts",
    "read_contacts",
    "read_events",
    "read_members",
    "read_options",
    "read_transactions",
    "resolve_path",
    "simulate",
    "summarize",
    "summarize_to_file",
    "validate",
]
