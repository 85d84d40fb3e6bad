"""Read and validate the tables of the data contract with pandas.

Every reader takes a path (CSV or Parquet) or a DataFrame, and an optional ``mapping`` from our
column names to the user's (``{"customer_id": "member_no", "timestamp": "order_date"}``). It
returns a *new* DataFrame with our column names and types; the input is never modified. Bad input
raises :class:`superkit.core.errors.DataError` with a message that names the file, the column, how
many rows are affected and what to do about it; the messages come from :mod:`superkit.data.rules`,
which the SQL engines use too, so both paths report a bad file the same way.

| table        | required                                   | optional                                   |
|--------------|--------------------------------------------|--------------------------------------------|
| transactions | customer_id, timestamp, amount (<0 refund) | order_id, category, brand, channel, store  |
| members      | customer_id, joined_at                     | tier, fee, ended_at (empty while active)   |
| events       | customer_id, timestamp, kind               | channel                                    |
| cohorts      | cohort, period, active                     |                                            |
| benefits     | benefit_id, name, dimension (six keys),    | min_tier, name_zh, uptake, uses_per_year   |
|              | cost_per_member, cost_share_of_spend,      |                                            |
|              | perceived_value                            |                                            |
| choices      | respondent, task, alternative, chosen,     | none; every other column is an attribute   |
|              | price                                      | (a benefit id: 1 if the offer holds it)    |
| contacts     | customer_id, timestamp, channel (eight     | cost (yuan per contact, >= 0), campaign    |
|              | keys, English or Chinese names)            |                                            |

The benefit catalog may also be YAML: a list of benefits, or ``{benefits: [...]}``.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

from superkit.core.checks import parse_date
from superkit.core.errors import DataError
from superkit.data import rules
from superkit.data.spec import (ABSURD_AMOUNT, ATTRIBUTE_TABLES, BENEFIT_DIMENSIONS, CHANNEL_ALIASES,
                                CONTACT_CHANNELS, DIMENSION_ALIASES, EVENT_KINDS, TABLES, attribute_columns)

__all__ = ["READERS", "read_benefits", "read_choices", "read_cohorts", "read_contacts", "read_events",
           "read_members", "read_transactions", "read_yaml", "source_name", "validate"]


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------
def source_name(source) -> str:
    if isinstance(source, pd.DataFrame):
        return "the DataFrame"
    return str(source)


def _load_frame(source, table: str = "table") -> pd.DataFrame:
    """Load a CSV or Parquet file (or copy a DataFrame) with clear errors for unreadable files."""
    if isinstance(source, pd.DataFrame):
        return source.copy()
    path = Path(source)
    name = str(path)
    is_parquet, _ = rules.check_file(path, table)
    if path.suffix.lower() in (".yaml", ".yml"):
        return _load_yaml(path, table)
    try:
        if is_parquet:
            return pd.read_parquet(path)
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""],
                           skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise DataError("the file has no header row or data", source=name,
                        fix=f"export the {table} again with a header row.") from None
    except UnicodeDecodeError:
        raise rules.not_utf8(name, f"{table} file") from None
    except (pd.errors.ParserError, ValueError, OSError) as exc:
        raise rules.unreadable(name, f"{type(exc).__name__}: {str(exc).splitlines()[0]}") from None


def _yaml_loader(keep_text: bool = True):
    """A YAML loader that refuses a key given twice in a mapping (plain YAML keeps the last
    silently). ``keep_text``: every scalar stays the text written (``007`` stays ``007``, not 7 or
    octal; ``yes`` stays ``yes``), as the CSV reader does -- for tables; otherwise numbers and
    booleans are typed (yaml's safe loader) -- for the membership plan."""
    import yaml

    class TextLoader(yaml.BaseLoader if keep_text else yaml.SafeLoader):
        pass

    def mapping(loader, node, deep=False):
        keys = [loader.construct_object(k, deep=deep) for k, _ in node.value]
        twice = sorted({k for k in keys if keys.count(k) > 1})
        if twice:
            raise yaml.constructor.ConstructorError(None, None, f"the key {twice[0]!r} appears twice",
                                                    node.start_mark)
        return {k: loader.construct_object(v, deep=deep) for k, (_, v) in zip(keys, node.value)}

    TextLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    return TextLoader


def read_yaml(path: str | Path, keep_text: bool = True, what: str = "YAML file",
              fix: str = "check the indentation and the colons, and that no key appears twice."):
    """Parse a YAML file by the one set of rules for every YAML input (tables, the membership plan,
    the report config): UTF-8 with or without a BOM, never decoded with replacement characters; no
    key given twice (:func:`_yaml_loader`); a :class:`DataError` naming the file and ``fix``
    otherwise. Returns the document (None for an empty file)."""
    import yaml

    name = str(path)
    try:
        return yaml.load(Path(path).read_text(encoding="utf-8-sig"), Loader=_yaml_loader(keep_text))
    except UnicodeDecodeError:
        raise rules.not_utf8(name, what) from None
    except yaml.YAMLError as exc:
        raise DataError(f"not valid YAML ({str(exc).splitlines()[0]})", source=name, fix=fix) from None


def _load_yaml(path: Path, table: str) -> pd.DataFrame:
    """A YAML table: a list of rows (mappings), or a mapping holding that list under the table's name."""
    name = str(path)
    doc = read_yaml(path, fix="check the indentation and the colons (each row a '- key: value' block), "
                              "and that no key appears twice in a row.")
    if isinstance(doc, dict) and table in doc:
        doc = doc[table]
    if not isinstance(doc, list) or not all(isinstance(row, dict) for row in doc):
        raise DataError(f"the YAML file does not hold a list of {table}", source=name,
                        fix=f"write a list of rows, each '- {TABLES[table]['required'][0]}: ...', "
                            f"or put the list under '{table}:'.")
    if not doc:
        raise rules.no_rows(table, name)
    # the same text the CSV reader gives: every value a string as written, missing ones None
    nested = [k for row in doc for k, v in row.items() if isinstance(v, (list, dict))]
    if nested:
        raise DataError(f"lists or mappings as values (in {sorted(set(nested))[:3]})", source=name,
                        fix="give each field one value, e.g. 'cost_per_member: 12'.")
    keys = list(dict.fromkeys(k for row in doc for k in row))
    empty = {"", "~", "null", "Null", "NULL"}
    return pd.DataFrame({str(k): [None if row.get(k) is None or row.get(k) in empty else row[k] for row in doc]
                         for k in keys}, dtype=object)


def _apply_mapping(df: pd.DataFrame, table: str, mapping: Mapping[str, str] | None,
                  name: str) -> pd.DataFrame:
    """Rename the user's columns to ours; check the required ones exist."""
    spec = TABLES[table]
    mapping = dict(mapping or {})
    known = set(spec["required"]) | set(spec["optional"])
    unknown = [k for k in mapping if k not in known]
    if unknown:
        raise DataError(f"the column mapping names {unknown}, which are not {table} columns",
                        source=name, fix=f"map only these columns: {sorted(known)}.")
    missing_theirs = [v for v in mapping.values() if v not in df.columns]
    if missing_theirs:
        raise DataError(f"the column mapping points at {missing_theirs}, which the file does not have",
                        source=name, fix=f"the file's columns are {list(df.columns)}; correct the mapping.")
    df = df.rename(columns={v: k for k, v in mapping.items()})
    # Tolerate header spaces and case: " Customer_ID " -> customer_id.
    norm = {c: str(c).strip().lower() for c in df.columns if str(c).strip().lower() in known}
    df = df.rename(columns=norm)
    missing = [c for c in spec["required"] if c not in df.columns]
    if missing:
        raise rules.missing_columns(missing, list(df.columns), name)
    dupes = df.columns[df.columns.duplicated()].tolist()
    if dupes:
        raise DataError(f"column {dupes} appears more than once", source=name,
                        fix="keep one column per name (check the mapping).")
    keep = [c for c in spec["required"] + spec["optional"] if c in df.columns]
    if table in ATTRIBUTE_TABLES:
        keep += [c for c in df.columns if c not in keep]
    return df[keep]


# --------------------------------------------------------------------------------------------
# Column checks
# --------------------------------------------------------------------------------------------
def _ids(df: pd.DataFrame, col: str, name: str) -> pd.Series:
    s = df[col]
    if pd.api.types.is_float_dtype(s):
        # 1.0 -> "1" (ids that went through a float column)
        s = s.map(lambda x: x if pd.isna(x) else (str(int(x)) if float(x).is_integer() else str(x)))
    s = s.astype("string").str.strip()
    blank = s.isna() | (s == "")
    if blank.any():
        raise rules.blank_ids(name, col, int(blank.sum()))
    return s.astype(object).astype(str)


def _dates(df: pd.DataFrame, col: str, name: str, allow_missing: bool = False) -> pd.Series:
    s = df[col]
    if pd.api.types.is_datetime64_any_dtype(s):
        out = s
        if getattr(out.dt, "tz", None) is not None:
            out = out.dt.tz_convert("UTC").dt.tz_localize(None)
    else:
        raw = s.astype("string").str.strip()
        empty = raw.isna() | (raw == "")
        try:
            out = pd.to_datetime(raw.where(~empty), errors="coerce", format="ISO8601")
        except (ValueError, TypeError):
            out = pd.to_datetime(raw.where(~empty), errors="coerce", format="mixed")
        if getattr(out.dt, "tz", None) is not None:
            out = out.dt.tz_convert("UTC").dt.tz_localize(None)
        bad = out.isna() & ~empty
        if bad.any():
            raise rules.unreadable_dates(name, col, int(bad.sum()), raw[bad].head(3).tolist())
    out = pd.Series(out.to_numpy(dtype="datetime64[ns]"), index=df.index, name=col)
    if not allow_missing and out.isna().any():
        raise rules.missing_values(name, col, int(out.isna().sum()), "dates")
    return out


def _numbers(df: pd.DataFrame, col: str, name: str, allow_missing: bool = False) -> pd.Series:
    s = df[col]
    if pd.api.types.is_bool_dtype(s):
        raise DataError("holds true/false values, not numbers", source=name, column=col,
                        rows=len(s), fix="check the column mapping.")
    if pd.api.types.is_numeric_dtype(s):
        out = s.astype(float)
        raw = s.astype("string")
        empty = s.isna()
    else:
        raw = s.astype("string").str.strip()
        empty = raw.isna() | (raw == "")
        cleaned = raw.str.replace(r"^[¥$€£]|,(?=\d{3}\b)", "", regex=True)
        out = pd.to_numeric(cleaned.where(~empty), errors="coerce").astype(float)
        bad = out.isna() & ~empty
        if bad.any():
            raise rules.not_numbers(name, col, int(bad.sum()), raw[bad].head(3).tolist())
    if np.isinf(out).any():
        raise rules.infinite_values(name, col, int(np.isinf(out).sum()))
    if not allow_missing and out.isna().any():
        raise rules.missing_values(name, col, int(out.isna().sum()))
    return pd.Series(out.to_numpy(), index=df.index, name=col)


def _check_not_after(dates: pd.Series, end, name: str, col: str) -> None:
    end = parse_date(end, "observation_end")
    if end is None:
        return
    late = dates.notna() & (dates >= pd.Timestamp(rules.end_limit(end)))
    if late.any():
        raise rules.after_observation_end(end, name, col, int(late.sum()),
                                          [str(d) for d in dates[late].head(3)])


def _not_empty(df: pd.DataFrame, name: str, table: str) -> None:
    if len(df) == 0:
        raise rules.no_rows(table, name)


def _begin(source, table: str, mapping) -> tuple[str, pd.DataFrame, pd.DataFrame]:
    """Every reader's start: the source's name, the mapped frame (not empty), an empty output frame."""
    name = source_name(source)
    df = _apply_mapping(_load_frame(source, table), table, mapping, name)
    _not_empty(df, name, table)
    return name, df, pd.DataFrame(index=df.index)


def _unique_ids(df: pd.DataFrame, col: str, name: str, problem: str, fix: str) -> pd.Series:
    """Ids that must not repeat (one row per member, per benefit)."""
    ids = _ids(df, col, name)
    dup = ids.duplicated(keep=False)
    if dup.any():
        raise DataError(problem, source=name, column=col, rows=int(dup.sum()),
                        examples=ids[dup].unique()[:3].tolist(), fix=fix)
    return ids


def _aliased(raw: pd.Series, aliases: Mapping[str, str]) -> pd.Series:
    """Each value's key under ``aliases``, compared in lower case with runs of spaces, underscores and
    hyphens as one space (``Member Price``, ``member_price`` and ``member-price`` are one name); None
    where no alias matches."""
    def norm(text: str) -> str:
        return re.sub(r"[\s_-]+", " ", text.strip().lower())

    keys = {norm(k): v for k, v in aliases.items()}
    return raw.map(lambda v: keys.get(norm(v)) if isinstance(v, str) else None)


def _vocabulary(df: pd.DataFrame, col: str, aliases: Mapping[str, str], source: str, what: str,
                fix: str) -> pd.Series:
    """A column whose values must be one of a fixed set of keys, each written as any of its aliases
    (:func:`_aliased`); unknown values refused with examples and ``fix``."""
    raw = df[col].astype("string").str.strip()
    keys = _aliased(raw, aliases)
    bad = keys.isna()
    if bad.any():
        raise DataError(f"unknown {what}", source=source, column=col, rows=int(bad.sum()),
                        examples=sorted(set(raw[bad].fillna("<empty>").tolist()))[:5], fix=fix)
    return keys.astype(object)


def _strings(df: pd.DataFrame, col: str) -> pd.Series:
    s = df[col].astype("string").str.strip()
    return s.astype(object).where(s.notna(), None)


# --------------------------------------------------------------------------------------------
# Readers
# --------------------------------------------------------------------------------------------
def read_transactions(source, mapping: Mapping[str, str] | None = None,
                      observation_end=None) -> pd.DataFrame:
    """Transactions: ``customer_id, timestamp, amount`` (+ optional columns).

    Negative amounts are refunds and are accepted (the summary nets them per day). Amounts of
    ``1e9`` or more per row are refused as absurd.
    """
    name, df, out = _begin(source, "transactions", mapping)
    out["customer_id"] = _ids(df, "customer_id", name)
    out["timestamp"] = _dates(df, "timestamp", name)
    out["amount"] = _numbers(df, "amount", name)
    absurd = out["amount"].abs() >= ABSURD_AMOUNT
    if absurd.any():
        raise rules.absurd_amounts(name, "amount", int(absurd.sum()),
                                   out.loc[absurd, "amount"].head(3).tolist())
    for col in TABLES["transactions"]["optional"]:
        if col in df.columns:
            out[col] = _strings(df, col)
    _check_not_after(out["timestamp"], observation_end, name, "timestamp")
    return out.reset_index(drop=True)


def read_members(source, mapping: Mapping[str, str] | None = None,
                 observation_end=None) -> pd.DataFrame:
    """Members: one row per customer with ``joined_at`` and optional tier, fee, ended_at."""
    name, df, out = _begin(source, "members", mapping)
    out["customer_id"] = _unique_ids(df, "customer_id", name, "customers listed more than once",
                                     "keep one row per member (the current membership); past memberships "
                                     "belong in the cohorts table.")
    out["joined_at"] = _dates(df, "joined_at", name)
    if "tier" in df.columns:
        out["tier"] = _strings(df, "tier")
    if "fee" in df.columns:
        out["fee"] = _numbers(df, "fee", name, allow_missing=True)
        neg = out["fee"] < 0
        if neg.any():
            raise DataError("negative membership fees", source=name, column="fee", rows=int(neg.sum()),
                            fix="fees are the price paid per year; use 0 for free tiers.")
    if "ended_at" in df.columns:
        out["ended_at"] = _dates(df, "ended_at", name, allow_missing=True)
        before = out["ended_at"].notna() & (out["ended_at"] < out["joined_at"])
        if before.any():
            raise DataError("memberships that end before they start", source=name, column="ended_at",
                            rows=int(before.sum()),
                            examples=out.loc[before, "customer_id"].head(3).tolist(),
                            fix="check that joined_at and ended_at are not swapped.")
        _check_not_after(out["ended_at"], observation_end, name, "ended_at")
    _check_not_after(out["joined_at"], observation_end, name, "joined_at")
    return out.reset_index(drop=True)


def read_events(source, mapping: Mapping[str, str] | None = None,
                observation_end=None) -> pd.DataFrame:
    """Engagement events: ``kind`` is one of feedback, share, referral, review, complaint."""
    name, df, out = _begin(source, "events", mapping)
    out["customer_id"] = _ids(df, "customer_id", name)
    out["timestamp"] = _dates(df, "timestamp", name)
    kind = df["kind"].astype("string").str.strip().str.lower()
    bad = kind.isna() | ~kind.isin(EVENT_KINDS)
    if bad.any():
        raise DataError("unknown event kinds", source=name, column="kind", rows=int(bad.sum()),
                        examples=sorted(set(kind[bad].fillna("<empty>").tolist()))[:5],
                        fix=f"use one of {list(EVENT_KINDS)} (map your own labels to these first).")
    out["kind"] = kind.astype(object)
    if "channel" in df.columns:
        out["channel"] = _strings(df, "channel")
    _check_not_after(out["timestamp"], observation_end, name, "timestamp")
    return out.reset_index(drop=True)


def read_cohorts(source, mapping: Mapping[str, str] | None = None,
                 observation_end=None) -> pd.DataFrame:
    """Cohorts: members still paying at the start of each period (period 0 = cohort size).

    ``observation_end`` is accepted so that every reader has the same signature; cohorts carry no
    dates.
    """
    name, df, out = _begin(source, "cohorts", mapping)
    out["cohort"] = _ids(df, "cohort", name)
    for col in ("period", "active"):
        vals = _numbers(df, col, name)
        frac = vals != np.floor(vals)
        if frac.any():
            raise DataError("values that are not whole numbers", source=name, column=col,
                            rows=int(frac.sum()), fix=f"{col} counts whole periods / members.")
        neg = vals < 0
        if neg.any():
            raise DataError("negative values", source=name, column=col, rows=int(neg.sum()),
                            fix=f"{col} cannot be negative.")
        out[col] = vals.astype("int64")
    dup = out.duplicated(["cohort", "period"], keep=False)
    if dup.any():
        raise DataError("the same cohort and period appear more than once", source=name,
                        column="period", rows=int(dup.sum()),
                        fix="keep one row per cohort and period.")
    out = out.sort_values(["cohort", "period"]).reset_index(drop=True)
    first = out.groupby("cohort")["period"].min()
    no_zero = first[first != 0]
    if len(no_zero):
        raise DataError("cohorts without a period 0 (the cohort's size)", source=name, column="period",
                        rows=len(no_zero), examples=no_zero.index[:3].tolist(),
                        fix="add period 0 with the number of members who joined.")
    grows = out.groupby("cohort")["active"].diff() > 0
    if grows.any():
        bad_cohorts = out.loc[grows, "cohort"].unique()
        raise DataError("active counts that grow from one period to the next", source=name,
                        column="active", rows=int(grows.sum()), examples=bad_cohorts[:3].tolist(),
                        fix="a cohort can only shrink: count members still paying from the cohort's "
                            "own joiners, not new joiners or returning members.")
    return out


def _shares(df: pd.DataFrame, col: str, name: str, allow_missing: bool = False) -> pd.Series:
    """Shares between 0 and 1, written as 0.05 or 5%; 5 (meaning 5%) is refused with the fix."""
    raw = df[col]
    if not pd.api.types.is_numeric_dtype(raw):
        text = raw.astype("string").str.strip()
        pct = text.str.endswith("%").fillna(False)
        frame = pd.DataFrame({col: text.str.rstrip("%").str.strip()})
        vals = _numbers(frame, col, name, allow_missing)
        vals = vals.where(~pct, vals / 100.0)
    else:
        vals = _numbers(df, col, name, allow_missing)
    bad = vals.notna() & ((vals < 0) | (vals > 1))
    if bad.any():
        raise DataError("shares outside 0..1", source=name, column=col, rows=int(bad.sum()),
                        examples=raw[bad].head(3).tolist(),
                        fix="write a share as 0.05 or 5% (not 5).")
    return vals


def read_benefits(source, mapping: Mapping[str, str] | None = None,
                  observation_end=None) -> pd.DataFrame:
    """The benefit catalog: one row per benefit a membership tier could hold (CSV, Parquet or YAML).

    * ``dimension``: one of the six keys (``exclusive_price``, ``discount``, ``exclusive_product``,
      ``service``, ``spend_discount``, ``customised``); their English or Chinese names are accepted.
    * ``cost_per_member`` (yuan, >= 0): the fixed cost of the benefit for one member who uses it,
      per year -- or per use when ``uses_per_year`` is given.
    * ``cost_share_of_spend`` (0..1): the part of the member's spend the benefit gives back
      (a member price, a discount, rebates, points); 0 for benefits that do not scale with spend.
    * ``perceived_value`` (yuan, >= 0): what a member who uses it feels it is worth, per year -- or
      per use when ``uses_per_year`` is given.
    * optional ``min_tier`` (the lowest tier that may hold it; empty = any), ``name_zh``,
      ``uptake`` (0..1, the share of members who use it; default 1), ``uses_per_year`` (> 0).

    ``observation_end`` is accepted so that every reader has the same signature; a catalog has no
    dates. Per member-year, the analysis takes ``cost_per_member * uses_per_year * uptake``,
    ``cost_share_of_spend * uptake`` and ``perceived_value * uses_per_year * uptake``.
    """
    name, df, out = _begin(source, "benefits", mapping)
    out["benefit_id"] = _unique_ids(df, "benefit_id", name, "benefit ids listed more than once",
                                    "give every benefit its own id.")
    names = _strings(df, "name")
    if names.isna().any() or (names == "").any():
        raise rules.missing_values(name, "name", int((names.isna() | (names == "")).sum()), "names")
    out["name"] = names
    out["dimension"] = _vocabulary(
        df, "dimension", DIMENSION_ALIASES, name, "benefit dimensions",
        f"use one of the six: {', '.join(f'{k} ({zh})' for k, (_, zh) in BENEFIT_DIMENSIONS.items())}.")
    for col in ("cost_per_member", "perceived_value"):
        vals = _numbers(df, col, name)
        neg = vals < 0
        if neg.any():
            raise DataError("negative values", source=name, column=col, rows=int(neg.sum()),
                            examples=df.loc[neg, "benefit_id"].head(3).tolist(),
                            fix=f"{col} is yuan per member and year (or per use); use 0 for none.")
        out[col] = vals
    out["cost_share_of_spend"] = _shares(df, "cost_share_of_spend", name)
    if "min_tier" in df.columns:
        tier = _strings(df, "min_tier")
        out["min_tier"] = tier.where(tier.notna() & (tier != ""), None)
    if "name_zh" in df.columns:
        out["name_zh"] = _strings(df, "name_zh")
    if "uptake" in df.columns:
        up = _shares(df, "uptake", name, allow_missing=True)
        zero = up == 0
        if zero.any():
            raise DataError("an uptake of 0 (nobody uses the benefit)", source=name, column="uptake",
                            rows=int(zero.sum()), fix="drop the benefit, or give the share who use it.")
        out["uptake"] = up.fillna(1.0)
    if "uses_per_year" in df.columns:
        uses = _numbers(df, "uses_per_year", name, allow_missing=True)
        bad = uses.notna() & (uses <= 0)
        if bad.any():
            raise DataError("uses per year of 0 or less", source=name, column="uses_per_year",
                            rows=int(bad.sum()), fix="give the number of uses a year (e.g. 6), or leave it empty.")
        out["uses_per_year"] = uses
    return out.reset_index(drop=True)


def _binary(df: pd.DataFrame, col: str, name: str) -> pd.Series:
    vals = _numbers(df, col, name)
    bad = ~vals.isin([0.0, 1.0])
    if bad.any():
        raise DataError("values other than 0 and 1", source=name, column=col, rows=int(bad.sum()),
                        examples=df.loc[bad, col].head(3).tolist(),
                        fix="write 1 when the alternative has it (or was chosen), 0 otherwise.")
    return vals.astype("int64")


def read_choices(source, mapping: Mapping[str, str] | None = None,
                 observation_end=None) -> pd.DataFrame:
    """A choice-based conjoint survey: one row per alternative shown in a choice task.

    ``respondent``, ``task`` (the choice set, per respondent), ``alternative``, ``chosen`` (1 for the
    one chosen, else 0; exactly one per task), ``price`` (the annual fee offered, yuan), optional
    ``none`` (1 for the "no membership" alternative). Every other column is an attribute of the
    alternative -- a benefit id, 1 when the offer holds that benefit, else 0.
    """
    name, df, out = _begin(source, "choices", mapping)
    out["respondent"] = _ids(df, "respondent", name)
    out["task"] = _ids(df, "task", name)
    out["alternative"] = _ids(df, "alternative", name)
    out["chosen"] = _binary(df, "chosen", name)
    out["price"] = _numbers(df, "price", name)
    neg = out["price"] < 0
    if neg.any():
        raise DataError("negative prices", source=name, column="price", rows=int(neg.sum()),
                        fix="price is the annual fee offered; 0 for the no-membership alternative.")
    out["none"] = _binary(df, "none", name) if "none" in df.columns else 0
    attrs = attribute_columns(df.columns)
    if not attrs:
        raise DataError("no attribute columns", source=name,
                        fix="add one 0/1 column per benefit shown (named by its benefit_id).")
    for col in attrs:
        out[str(col)] = _binary(df, col, name)
    dup = out.duplicated(["respondent", "task", "alternative"], keep=False)
    if dup.any():
        raise DataError("the same alternative appears twice in a task", source=name, column="alternative",
                        rows=int(dup.sum()), fix="keep one row per respondent, task and alternative.")
    picks = out.groupby(["respondent", "task"])["chosen"].sum()
    wrong = picks[picks != 1]
    if len(wrong):
        raise DataError("choice tasks without exactly one chosen alternative", source=name, column="chosen",
                        rows=len(wrong), examples=[f"{r}/{t}" for r, t in wrong.index[:3]],
                        fix="mark exactly one alternative of every task with chosen = 1 (drop unanswered tasks).")
    return out.reset_index(drop=True)



def read_contacts(source, mapping: Mapping[str, str] | None = None,
                  observation_end=None) -> pd.DataFrame:
    """Contacts: one row per contact of a customer through a channel (a call, a text, an ad, a
    clerk's invitation) -- what measuring each channel's conversion to member reads.

    * ``channel``: one of the eight keys (``own_media``, ``online_shops``, ``app``, ``stores``,
      ``phone``, ``sms_email``, ``alliances``, ``paid_ads``); their English or Chinese names and
      common variants (``sms``, ``e-mail``, ``短信``, ``wechat``/``微信``, ``tmall``/``天猫``, ``小程序``,
      ``门店``, ``广告`` ...) are accepted, in any case, with spaces, underscores or hyphens.
    * optional ``cost`` (yuan per contact, >= 0; empty where unknown) and ``campaign`` (text).
    """
    name, df, out = _begin(source, "contacts", mapping)
    out["customer_id"] = _ids(df, "customer_id", name)
    out["timestamp"] = _dates(df, "timestamp", name)
    out["channel"] = _vocabulary(
        df, "channel", CHANNEL_ALIASES, name, "contact channels",
        f"use one of the eight: {', '.join(f'{k} ({zh})' for k, (_, zh, _) in CONTACT_CHANNELS.items())} "
        "(map your own labels to these first).")
    if "cost" in df.columns:
        cost = _numbers(df, "cost", name, allow_missing=True)
        neg = cost < 0
        if neg.any():
            raise DataError("negative costs", source=name, column="cost", rows=int(neg.sum()),
                            examples=df.loc[neg, "cost"].head(3).tolist(),
                            fix="cost is yuan per contact; use 0 for free contacts, leave it empty where unknown.")
        out["cost"] = cost
    if "campaign" in df.columns:
        out["campaign"] = _strings(df, "campaign")
    _check_not_after(out["timestamp"], observation_end, name, "timestamp")
    return out.reset_index(drop=True)


READERS = {
    "transactions": read_transactions,
    "members": read_members,
    "events": read_events,
    "cohorts": read_cohorts,
    "benefits": read_benefits,
    "choices": read_choices,
    "contacts": read_contacts,
}


def validate(table: str, source, mapping: Mapping[str, str] | None = None,
             observation_end=None) -> pd.DataFrame:
    """Read and validate ``table`` (one of transactions, members, events, cohorts, benefits, choices,
    contacts)."""
    if table not in READERS:
        raise DataError(f"unknown table '{table}'", fix=f"use one of {list(READERS)}.")
    return READERS[table](source, mapping, observation_end=observation_end)
