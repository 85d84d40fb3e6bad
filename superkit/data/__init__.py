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
from superkit.data.contract import (READERS, read_benefits, read_choices, read_cohorts, read_contacts,
                                    read_events, read_members, read_transactions, validate)
from superkit.data.quality import profile_tables
from superkit.data.reading import ReadOptions, read_options
from superkit.data.simulate import World, simulate
from superkit.data.summary import get_engine, summarize, summarize_to_file
from superkit.data.tables import Tables, load_tables, resolve_path

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
