"""One entry point for the data of every notebook: :func:`load_tables`.

A notebook's ``<table>_path`` parameters mean the same everywhere:

* a file path (CSV or Parquet) -- the client's table, read with ``column_mapping``;
* the name of a bundled data set (``"coffee_club"``, ``"cdnow_sample"``, ...) -- that set's table;
* ``"none"`` (or ``"-"``) -- there is no such table;
* ``""`` -- the bundled default data set's table, but **only when no table was given at all**: a
  client's data are never mixed with the bundled sample, so once any path names a file or a data
  set, an empty path means "no such table".

Every table is read by the contract readers with the same ``observation_end`` (dates after it are
refused), so all notebooks apply one set of reading rules.

In a report, later notebooks also read what earlier ones published (05 takes 04's causal ratio):
``results_dir`` is the report's folder of outputs, and :meth:`Tables.result` gives one notebook's
JSON, or None when it did not run (a notebook run alone has no earlier results).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import json

import pandas as pd

from superkit.core import i18n
from superkit.core.errors import DataError
from superkit.data import datasets, reading, store
from superkit.data.contract import READERS
from superkit.data.quality import cross_checks, message_text

__all__ = ["DEFAULT_DATASET", "NO_TABLE", "TABLE_NAMES", "Tables", "earlier_results", "load_tables",
           "resolve_path"]

NO_TABLE = ("none", "-")
DEFAULT_DATASET = "coffee_club"
TABLE_NAMES = tuple(READERS)


def resolve_path(value, table: str, *, client_data: bool, required: bool = False,
                 needed_for: str = "this analysis", dataset: str = DEFAULT_DATASET):
    """What a ``<table>_path`` parameter means: a path, ``("dataset", name)`` for a bundled data
    set, or None for no table (see the module docstring). ``client_data``: some table was given,
    so ``""`` means no table. With ``required``, no table is a :class:`DataError` naming the fix.
    """
    text = "" if value is None else str(value).strip()
    if text.lower() in NO_TABLE or (not text and client_data):
        if required:
            raise DataError(f"no {table} table was given, and {needed_for} needs one", source=table,
                            fix=f"give {table}_path (in a report config: data: {table}: <file>).")
        return None
    if not text:
        return ("dataset", dataset)
    if text in datasets.names() and not Path(text).exists():
        return ("dataset", text)
    return text


@dataclass
class Tables:
    """The tables an analysis reads (None where there is no such table) and where each came from.

    ``sources``: table -> a description for people ("bundled coffee_club (members)", a path, "not
    given"); ``files``: table -> the file or data-set name to publish (no absolute paths).
    """

    transactions: pd.DataFrame | None = None
    members: pd.DataFrame | None = None
    events: pd.DataFrame | None = None
    cohorts: pd.DataFrame | None = None
    benefits: pd.DataFrame | None = None
    choices: pd.DataFrame | None = None
    contacts: pd.DataFrame | None = None
    sources: dict = field(default_factory=dict)
    files: dict = field(default_factory=dict)
    observation_end: str | None = None
    results: dict = field(default_factory=dict)   # notebook stem -> its published JSON (in a report)
    results_dir: str | None = None                # the report's folder of outputs (None: run alone)
    notes: dict = field(default_factory=dict)     # table -> what reading did (an encoding, rows dropped)
    warnings: list = field(default_factory=list)  # what to check: per table, and how the tables join

    def quality(self, lang: str = "en") -> str:
        """What reading did and what to check, as Markdown for a notebook in ``lang`` ("" when there
        is nothing): a heading, each table's reading notes, the warnings."""
        lang = i18n.check_language(lang)

        def table_name(t: str) -> str:
            return i18n.text("quality", f"table_{t}", lang) if lang != "en" and i18n.has_text("quality", f"table_{t}") else t

        lines = [i18n.text("data", "quality_note", lang, table=table_name(t), note=message_text(n, lang))
                 for t, ns in self.notes.items() for n in ns]
        for w in self.warnings:
            table, sep, rest = w.partition(": ")
            if sep and table in TABLE_NAMES:
                lines.append(i18n.text("data", "quality_table_warning", lang, table=table_name(table),
                                       warning=message_text(rest, lang)))
            else:
                lines.append(i18n.text("data", "quality_warning", lang, warning=message_text(w, lang)))
        return "\n".join([i18n.text("data", "quality_heading", lang)] + lines) if lines else ""

    def result(self, stem: str) -> dict | None:
        """What notebook ``stem`` published earlier in the same report, or None."""
        return self.results.get(stem)

    def result_file(self, stem: str, key: str) -> Path | None:
        """A file notebook ``stem`` wrote earlier in the same report and named under ``key`` of its
        JSON (06 reads 02's scores, ``result_file("02_clv_churn", "scores_file")``), or None."""
        name = (self.results.get(stem) or {}).get(key)
        if not self.results_dir or not isinstance(name, str) or not name or Path(name).name != name:
            return None
        path = Path(self.results_dir) / stem / name
        return path if path.is_file() else None

    def require(self, table: str, needed_for: str = "this analysis") -> pd.DataFrame:
        """The table, or a DataError saying it is missing and what needs it."""
        df = getattr(self, table)
        if df is None:
            raise DataError(f"no {table} table was given, and {needed_for} needs one", source=table,
                            fix=f"give {table}_path (in a report config: data: {table}: <file>).")
        return df


def earlier_results(results_dir) -> dict:
    """The JSON each earlier notebook of a report published: ``{stem: dict}`` from
    ``<results_dir>/<stem>/<stem>.json``; ``{}`` for an empty ``results_dir`` (run alone)."""
    if results_dir is None or not str(results_dir).strip():
        return {}
    folder = Path(str(results_dir).strip())
    if not folder.is_dir():
        raise DataError("the folder of earlier results does not exist", source=str(folder),
                        fix="leave results_dir empty when running the notebook alone; the report sets it.")
    out = {}
    for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
        f = sub / f"{sub.name}.json"
        if f.is_file():
            try:
                out[sub.name] = json.loads(f.read_text(encoding="utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError):
                continue  # a notebook that failed half-way is treated as not run
    return out


def load_tables(transactions_path: str | None = None, members_path: str | None = None,
                events_path: str | None = None, cohorts_path: str | None = None,
                benefits_path: str | None = None, choices_path: str | None = None,
                contacts_path: str | None = None, *,
                column_mapping: dict | None = None, observation_end=None, required=(),
                needed_for: str = "this analysis", dataset: str = DEFAULT_DATASET,
                results_dir: str | None = None, read_options: dict | None = None) -> Tables:
    """Read the tables a notebook asks for, validated, with the path rules of the module docstring.

    Pass only the ``<table>_path`` parameters the notebook has (None: the notebook does not read
    that table). ``column_mapping`` is ``{table: {our name: your name}}`` and applies to the
    client's files; ``required`` names tables without which ``needed_for`` cannot run;
    ``results_dir`` is where a report keeps earlier notebooks' results (:func:`earlier_results`);
    ``read_options`` how the client's files are read (:func:`superkit.data.reading.read_options`:
    ``amount_unit``, ``timezone``, ``encoding``, ``strip_leading_zeros``). What reading did is in
    ``notes``; per-table warnings and the cross-table checks (:func:`superkit.data.quality.cross_checks`:
    member ids not found among the buyers ...) are in ``warnings``.
    """
    column_mapping = dict(column_mapping or {})
    unknown = sorted(set(column_mapping) - set(TABLE_NAMES))
    if unknown:
        raise DataError(f"column_mapping has unknown tables {unknown}", source="column_mapping",
                        fix="key it by table: {'transactions': {'customer_id': 'member_no'}}.")
    end = None if observation_end is None or str(observation_end).strip() == "" else observation_end
    options = reading.read_options(read_options)
    asked = {"transactions": transactions_path, "members": members_path, "events": events_path,
             "cohorts": cohorts_path, "benefits": benefits_path, "choices": choices_path,
             "contacts": contacts_path}
    asked = {t: v for t, v in asked.items() if v is not None}
    client = any(str(v).strip() and str(v).strip().lower() not in NO_TABLE for v in asked.values())
    out = Tables(observation_end=None if end is None else str(end), results=earlier_results(results_dir),
                 results_dir=str(results_dir).strip() if results_dir and str(results_dir).strip() else None)
    for table, value in asked.items():
        where = resolve_path(value, table, client_data=client, required=table in required,
                             needed_for=needed_for, dataset=dataset)
        if where is None:
            out.sources[table], out.files[table] = "not given", None
            continue
        if isinstance(where, tuple):
            name = where[1]
            if not datasets.has_table(name, table):
                if table in required:
                    raise DataError(f"the bundled data set '{name}' has no {table} table, and "
                                    f"{needed_for} needs one", source=table,
                                    fix=f"give {table}_path, or a data set with that table.")
                out.sources[table], out.files[table] = f"bundled {name} has none", None
                continue
            df = datasets.table(name, table, observation_end=end)
            out.sources[table] = f"bundled {name} ({table})"
            out.files[table] = name if name in datasets.CDNOW_FILES else datasets.path(name, table).name
        else:
            df = store.read_table(table, where, column_mapping.get(table), end, options)
            meta = store.staged_meta(where)
            # a table the report staged is named by the client's file it was read from
            origin = meta["source"] if meta else where
            out.sources[table], out.files[table] = origin, Path(origin).name
            out.notes[table] = list(df.attrs.get("notes", []))
            out.warnings += [f"{table}: {w}" for w in df.attrs.get("warnings", [])]
        setattr(out, table, df)
    out.warnings += cross_checks({t: getattr(out, t) for t in TABLE_NAMES if getattr(out, t) is not None})[1]
    return out
