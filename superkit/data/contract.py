"""Read and validate the four tables of the data contract with pandas.

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
"""
from __future__ import annotations

from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

from superkit.core.checks import parse_date
from superkit.core.errors import DataError
from superkit.data import rules
from superkit.data.spec import ABSURD_AMOUNT, EVENT_KINDS, TABLES

__all__ = ["READERS", "read_cohorts", "read_events", "read_members", "read_transactions",
           "source_name", "validate"]


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
    try:
        if is_parquet:
            return pd.read_parquet(path)
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""],
                           skipinitialspace=True, encoding_errors="replace")
    except pd.errors.EmptyDataError:
        raise DataError("the file has no header row or data", source=name,
                        fix=f"export the {table} again with a header row.") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError, OSError) as exc:
        raise rules.unreadable(name, f"{type(exc).__name__}: {str(exc).splitlines()[0]}") from None


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
    name = source_name(source)
    df = _apply_mapping(_load_frame(source, "transactions"), "transactions", mapping, name)
    _not_empty(df, name, "transactions")
    out = pd.DataFrame(index=df.index)
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
    name = source_name(source)
    df = _apply_mapping(_load_frame(source, "members"), "members", mapping, name)
    _not_empty(df, name, "members")
    out = pd.DataFrame(index=df.index)
    out["customer_id"] = _ids(df, "customer_id", name)
    dup = out["customer_id"].duplicated(keep=False)
    if dup.any():
        raise DataError("customers listed more than once", source=name, column="customer_id",
                        rows=int(dup.sum()), examples=out.loc[dup, "customer_id"].unique()[:3].tolist(),
                        fix="keep one row per member (the current membership); past memberships "
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
    name = source_name(source)
    df = _apply_mapping(_load_frame(source, "events"), "events", mapping, name)
    _not_empty(df, name, "events")
    out = pd.DataFrame(index=df.index)
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
    name = source_name(source)
    df = _apply_mapping(_load_frame(source, "cohorts"), "cohorts", mapping, name)
    _not_empty(df, name, "cohorts")
    out = pd.DataFrame(index=df.index)
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


READERS = {
    "transactions": read_transactions,
    "members": read_members,
    "events": read_events,
    "cohorts": read_cohorts,
}


def validate(table: str, source, mapping: Mapping[str, str] | None = None,
             observation_end=None) -> pd.DataFrame:
    """Read and validate ``table`` (one of transactions, members, events, cohorts)."""
    if table not in READERS:
        raise DataError(f"unknown table '{table}'", fix=f"use one of {list(READERS)}.")
    return READERS[table](source, mapping, observation_end=observation_end)
