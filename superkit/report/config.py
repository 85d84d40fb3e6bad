"""The report's YAML config: where a client's data are, how their columns map to ours, parameters.

::

    run_name: acme-2025-q4            # folder name under reports/ (default: date and time)
    timeout: 900                      # seconds allowed per notebook cell (default 600)
    data:                             # paths (relative to this file) -> <table>_path parameters
      transactions: data/orders.csv
      members: data/members.csv
      plan: plan.yaml                 # the membership plan of notebook 06 (not a table; plan_path)
      margins: margins.csv            # gross margin per category (category,margin) for 01's profit 80/20
    mapping:                          # column mapping per table, {our name: your name}
      transactions: {customer_id: member_no, timestamp: paid_at, amount: total}
    engine: duckdb                    # or spark: the transactions are read, and queried, by Spark SQL
    jobs: 2                           # notebooks run at once (default: one per core, at most 2)
    reading:                          # how the client's exports are read (every table, every notebook)
      amount_unit: fen                # amounts exported in fen (分) are divided by 100
      timezone: Asia/Shanghai         # times written with UTC offsets -> this zone's wall clock
      encoding: gb18030               # default: detected (UTF-8, GB18030 / GBK, UTF-16 with a BOM)
      strip_leading_zeros: true       # one export wrote 000010, another 10
    language: zh                      # en (default) or zh: the report's pages, headlines and figures in 简体中文
    pdf: true                         # also print the index and every page to PDF (needs Chromium)
    parameters:
      all: {observation_end: "2025-12-31"}        # to every notebook that has the parameter
      01_super_users: {recency_days: 60}          # to one notebook
"""
from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

from superkit.core.errors import DataError, ParameterError
from superkit.core.i18n import check_language
from superkit.data.contract import read_yaml
from superkit.data.reading import read_options
from superkit.data.tables import TABLE_NAMES

__all__ = ["CONFIG_KEYS", "DATA_INPUTS", "DEFAULT_TIMEOUT", "ENGINES", "load_config"]

CONFIG_KEYS = {"run_name", "timeout", "data", "mapping", "parameters", "title", "reading", "engine", "jobs",
               "language", "pdf"}
ENGINES = ("duckdb", "spark")
# what `data:` may name: the contract's tables, the plan file of notebook 06 and the gross margins
# per category of notebook 01 (its profit 80/20)
DATA_INPUTS = (*TABLE_NAMES, "plan", "margins")
DEFAULT_TIMEOUT = 600


def _plain(value):
    """YAML dates -> ISO strings (papermill passes strings; notebooks parse them)."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def load_config(path: str | os.PathLike | None) -> dict:
    """Read and check the YAML config; relative data paths are made absolute (relative to the file)."""
    if path is None:
        return {"run_name": None, "timeout": DEFAULT_TIMEOUT, "data": {}, "mapping": {},
                "parameters": {}, "title": None, "reading": {}, "engine": "duckdb", "jobs": None, "language": "en",
                "pdf": False, "_source": None}
    path = Path(path).expanduser().resolve()
    name = str(path)
    if not path.is_file():
        raise DataError("config file not found", source=name,
                        fix="give the path of a YAML file (see the README for an example).")
    cfg = read_yaml(path, keep_text=False,
                    fix="check the indentation and the colons, and that no key appears twice; see the README "
                        "example.") or {}
    if not isinstance(cfg, dict):
        raise DataError("the config must be a mapping of keys to values", source=name,
                        fix="start from the README example.")
    unknown = sorted(set(cfg) - CONFIG_KEYS)
    if unknown:
        raise DataError(f"unknown config keys {unknown}", source=name,
                        fix=f"use only {sorted(CONFIG_KEYS)}.")
    cfg = _plain(cfg)
    base = path.parent

    data = cfg.get("data") or {}
    if not isinstance(data, dict) or set(data) - set(DATA_INPUTS):
        raise DataError(f"'data' must map table names {list(DATA_INPUTS)} to file paths", source=name,
                        fix="e.g. data: {transactions: orders.csv}")
    data = {t: str((base / Path(p).expanduser()).resolve()) for t, p in data.items() if p}
    for t, p in data.items():
        if not Path(p).exists():
            raise DataError(f"the {t} file {p} does not exist", source=name, column=f"data.{t}",
                            fix="paths in the config are relative to the config file; check it.")

    mapping = cfg.get("mapping") or {}
    if not isinstance(mapping, dict) or set(mapping) - set(TABLE_NAMES) or \
            not all(isinstance(m, dict) for m in mapping.values()):
        raise DataError(f"'mapping' must map table names {list(TABLE_NAMES)} to {{our column: your column}}",
                        source=name, fix="e.g. mapping: {transactions: {customer_id: member_no}}")

    reading = cfg.get("reading") or {}
    if not isinstance(reading, dict):
        raise DataError("'reading' must map reading options to values", source=name,
                        fix="e.g. reading: {amount_unit: fen, timezone: Asia/Shanghai}")
    options = read_options(reading)   # unknown keys or values: a ParameterError naming the choices
    reading = {k: v for k, v in options.__dict__.items() if k in reading}

    params = cfg.get("parameters") or {}
    if not isinstance(params, dict) or not all(isinstance(v, dict) for v in params.values()):
        raise DataError("'parameters' must map 'all' or a notebook stem to {parameter: value}",
                        source=name, fix="e.g. parameters: {all: {observation_end: '2025-12-31'}}")
    for group in params.values():
        for key, value in list(group.items()):
            if key.endswith("_path") and isinstance(value, str) and value:
                group[key] = str((base / Path(value).expanduser()).resolve())

    engine = cfg.get("engine") or "duckdb"
    if engine not in ENGINES:
        raise DataError(f"unknown engine {engine!r}", source=name, column="engine",
                        fix="engine: duckdb (the default, on this machine) or engine: spark (Spark SQL; "
                            "pip install 'superkit[spark]').")
    jobs = cfg.get("jobs")
    if jobs is not None and (not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1):
        raise DataError(f"jobs must be a whole number of notebooks run at once, got {jobs!r}", source=name,
                        column="jobs", fix="e.g. jobs: 2 (each notebook's kernel holds its own tables in memory).")
    timeout = cfg.get("timeout", DEFAULT_TIMEOUT)
    if not isinstance(timeout, (int, float)) or timeout <= 0:
        raise DataError(f"timeout must be a positive number of seconds, got {timeout!r}", source=name,
                        fix="e.g. timeout: 900")
    try:
        language = check_language(cfg.get("language") or "en")
    except ParameterError as exc:
        raise DataError(f"unknown language {cfg.get('language')!r}", source=name, column="language",
                        fix=exc.fix) from None
    pdf = cfg.get("pdf", False)
    if not isinstance(pdf, bool):
        raise DataError(f"pdf must be true or false, got {pdf!r}", source=name, column="pdf",
                        fix="pdf: true prints the index and every page to PDF (needs Chromium).")
    run_name = cfg.get("run_name")
    if run_name is not None and not re.fullmatch(r"[A-Za-z0-9._-]+", str(run_name)):
        raise DataError(f"run_name {run_name!r} is not a plain folder name", source=name,
                        fix="use letters, digits, '.', '_' and '-' only.")
    return {"run_name": run_name, "timeout": timeout, "data": data, "mapping": mapping,
            "parameters": params, "title": cfg.get("title"), "reading": reading, "engine": engine, "jobs": jobs,
            "language": language, "pdf": pdf, "_source": name}
