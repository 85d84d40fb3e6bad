"""Read and validate the tables of the data contract with pandas.

Every reader takes a path (CSV or Parquet) or a DataFrame, and an optional ``mapping`` from our
column names to the user's (``{"customer_id": "member_no", "timestamp": "order_date"}``). It
returns a *new* DataFrame with our column names and types; the input is never modified. Bad input
raises :class:`superkit.core.errors.DataError` with a message that names the file, the column, how
many rows are affected and what to do about it. Every column is read by the reading rules of
:mod:`superkit.data.reading` (the same code the summary engine runs, so both paths accept, refuse and
read a file alike); each reader then makes its table's own checks. The output's ``attrs["notes"]``
say what reading did (an encoding, a title line, repeated rows dropped) and ``attrs["warnings"]``
what to check (amounts that look like fen).

| table        | required                                   | optional                                   |
|--------------|--------------------------------------------|--------------------------------------------|
| transactions | customer_id, timestamp, amount (<0 refund) | order_id, category, brand, channel, store  |
| members      | customer_id, joined_at                     | tier, fee, ended_at (empty while active)   |
| events       | customer_id, timestamp, kind               | channel, referred_id (on referral rows)    |
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

from superkit.core.errors import DataError
from superkit.data import rules
from superkit.data.reading import Reader, id_select, parse_table, parse_transactions, read_options, read_text
from superkit.data.spec import (BENEFIT_DIMENSIONS, CHANNEL_ALIASES, CONTACT_CHANNELS, DIMENSION_ALIASES,
                                EVENT_KINDS, TABLES, attribute_columns)

__all__ = ["READERS", "read_benefits", "read_choices", "read_cohorts", "read_contacts", "read_events",
           "read_members", "read_transactions", "read_yaml", "source_name", "validate"]


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------
def source_name(source) -> str:
    if isinstance(source, pd.DataFrame):
        return "the DataFrame"
    return str(source)


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


def read_yaml(path: str | Path, keep_text: bool = True,
              fix: str = "check the indentation and the colons, and that no key appears twice."):
    """Parse a YAML file by the one set of rules for every YAML input (tables, the membership plan,
    the report config): decoded as the CSV readers decode (UTF-8 with or without a BOM, GB18030,
    never with replacement characters, :func:`superkit.data.reading.read_text`); no
    key given twice (:func:`_yaml_loader`); a :class:`DataError` naming the file and ``fix``
    otherwise. Returns the document (None for an empty file)."""
    import yaml

    name = str(path)
    text, _ = read_text(Path(path))
    try:
        return yaml.load(text, Loader=_yaml_loader(keep_text))
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


# --------------------------------------------------------------------------------------------
# Reading by the rules
# --------------------------------------------------------------------------------------------
def _finish(out: pd.DataFrame, parsed) -> pd.DataFrame:
    """The reader's output, in source order, with what reading did (``attrs["notes"]``) and what
    the user should check (``attrs["warnings"]``)."""
    out = out.reset_index(drop=True)
    out.attrs["notes"] = list(parsed.notes)
    out.attrs["warnings"] = list(parsed.warnings)
    return out


def _begin(source, table: str, mapping, observation_end=None, options=None):
    """Every reader's start: the table read and parsed by the one set of rules
    (:mod:`superkit.data.reading`) -> (the source's name, the parsed frame, an empty output frame,
    the parse, whose notes and warnings :func:`_finish` keeps). A YAML file is read as text first
    (:func:`_load_yaml`)."""
    name, frame_name = source_name(source), None
    if not isinstance(source, pd.DataFrame) and Path(source).suffix.lower() in (".yaml", ".yml"):
        rules.check_file(Path(source), table)
        source, frame_name = _load_yaml(Path(source), table), name
    with Reader(read_options(options)) as reader:
        parsed = parse_table(reader, source, table, mapping, observation_end, name=frame_name)
        df = parsed.fetch()
    return name, df, pd.DataFrame(index=df.index), parsed


def _unique_ids(df: pd.DataFrame, col: str, name: str, problem: str, fix: str) -> pd.Series:
    """Ids that must not repeat (one row per member, per benefit)."""
    ids = df[col]
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


# --------------------------------------------------------------------------------------------
# Readers
# --------------------------------------------------------------------------------------------
def read_transactions(source, mapping: Mapping[str, str] | None = None,
                      observation_end=None, options=None) -> pd.DataFrame:
    """Transactions: ``customer_id, timestamp, amount`` (+ optional columns).

    Negative amounts are refunds and are accepted (the summary nets them per day). Amounts of
    ``1e9`` or more per row are refused as absurd; rows repeated exactly under one ``order_id``
    (overlapping exports) are dropped and counted in the notes. ``options``: how the export is read
    (:func:`superkit.data.reading.read_options`; e.g. ``{"amount_unit": "fen"}``).
    """
    with Reader(read_options(options)) as reader:
        parsed = parse_transactions(reader, source, mapping, observation_end)
        out = parsed.fetch()
    return _finish(out, parsed)


def read_members(source, mapping: Mapping[str, str] | None = None,
                 observation_end=None, options=None) -> pd.DataFrame:
    """Members: one row per customer with ``joined_at`` and optional tier, fee, ended_at.

    An ``ended_at`` after ``observation_end``, or in 2099 or later (a CRM's ``9999-12-31``), means
    the membership was still running at the end: it is read as empty and counted in the notes.
    """
    name, df, out, parsed = _begin(source, "members", mapping, observation_end, options)
    out["customer_id"] = _unique_ids(df, "customer_id", name, "customers listed more than once",
                                     "keep one row per member (the current membership); past memberships "
                                     "belong in the cohorts table.")
    out["joined_at"] = df["joined_at"]
    if "tier" in df.columns:
        out["tier"] = df["tier"]
    if "fee" in df.columns:
        out["fee"] = df["fee"]
        neg = out["fee"] < 0
        if neg.any():
            raise DataError("negative membership fees", source=name, column="fee", rows=int(neg.sum()),
                            fix="fees are the price paid per year; use 0 for free tiers.")
    if "ended_at" in df.columns:
        out["ended_at"] = df["ended_at"]
        before = out["ended_at"].notna() & (out["ended_at"] < out["joined_at"])
        if before.any():
            raise DataError("memberships that end before they start", source=name, column="ended_at",
                            rows=int(before.sum()),
                            examples=out.loc[before, "customer_id"].head(3).tolist(),
                            fix="check that joined_at and ended_at are not swapped.")
    return _finish(out, parsed)


def read_events(source, mapping: Mapping[str, str] | None = None,
                observation_end=None, options=None) -> pd.DataFrame:
    """Engagement events: ``kind`` is one of feedback, share, referral, review, complaint.

    Optional ``referred_id``: on a referral row, the customer id of the new customer the referral
    brought (empty where it brought nobody or is not known; empty on every other kind). It is read by
    the same id rules as ``customer_id`` (trimmed, ``10.0`` read as ``10``, placeholders such as
    ``#N/A`` empty, leading zeros dropped with ``strip_leading_zeros``; scientific notation refused).
    A referred id on another kind of event, or equal to the referrer's own id, is refused. Whether the
    referred customers bought is checked where the transactions are known
    (:func:`superkit.analyses.uplift.referral_customers`).
    """
    name, df, out, parsed = _begin(source, "events", mapping, observation_end, options)
    out["customer_id"] = df["customer_id"]
    out["timestamp"] = df["timestamp"]
    kind = df["kind"].astype("string").str.lower()
    bad = kind.isna() | ~kind.isin(EVENT_KINDS)
    if bad.any():
        raise DataError("unknown event kinds", source=name, column="kind", rows=int(bad.sum()),
                        examples=sorted(set(kind[bad].fillna("<empty>").tolist()))[:5],
                        fix=f"use one of {list(EVENT_KINDS)} (map your own labels to these first).")
    out["kind"] = kind.astype(object)
    if "channel" in df.columns:
        out["channel"] = df["channel"]
    if "referred_id" in df.columns:
        out["referred_id"] = _referred_ids(df["referred_id"], out, name, parsed.theirs["referred_id"], options)
    return _finish(out, parsed)


def _referred_ids(raw: pd.Series, out: pd.DataFrame, name: str, column: str, options) -> pd.Series:
    """The events' ``referred_id`` read by the customer-id rules of :mod:`superkit.data.reading`
    (each distinct text once), checked against the kind and the referrer."""
    opt = read_options(options)
    texts = pd.Series(raw.dropna().astype(str).unique(), dtype=object)
    ids = pd.Series(pd.NA, index=raw.index, dtype="string")
    if len(texts):
        with Reader(opt) as reader:
            reader.con.register("_referred_texts", pd.DataFrame({"v": texts}))
            rows = reader.exec(f"SELECT v, _id, _bad FROM ({id_select('_referred_texts', 'v', opt.strip_leading_zeros)})"
                               ).fetchall()
        bad = sorted(v for v, _, b in rows if b)
        if bad:
            mask = raw.astype("string").isin(bad)
            raise rules.scientific_ids(name, column, int(mask.sum()), bad[:3])
        read = {v: i for v, i, _ in rows}
        ids = raw.astype("string").map(read).astype("string")
    given = ids.notna()
    other = given & (out["kind"] != "referral")
    if other.any():
        raise rules.referred_not_referral(name, column, int(other.sum()),
                                          sorted(set(out.loc[other, "kind"].astype(str)))[:3])
    own = given & (ids == out["customer_id"].astype("string")).fillna(False)
    if own.any():
        raise rules.self_referrals(name, column, int(own.sum()), ids[own].unique()[:3].tolist())
    return ids.astype(out["customer_id"].dtype)


def read_cohorts(source, mapping: Mapping[str, str] | None = None,
                 observation_end=None, options=None) -> pd.DataFrame:
    """Cohorts: members still paying at the start of each period (period 0 = cohort size).

    ``observation_end`` is accepted so that every reader has the same signature; cohorts carry no
    dates.
    """
    name, df, out, parsed = _begin(source, "cohorts", mapping, observation_end, options)
    out["cohort"] = df["cohort"]
    for col in ("period", "active"):
        vals = df[col]
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
    return _finish(out, parsed)


def _shares(df: pd.DataFrame, col: str, name: str) -> pd.Series:
    """Shares between 0 and 1 (the rules read 0.05 and 5% alike); 5 (meaning 5%) is refused with the fix."""
    vals = df[col]
    bad = vals.notna() & ((vals < 0) | (vals > 1))
    if bad.any():
        raise DataError("shares outside 0..1", source=name, column=col, rows=int(bad.sum()),
                        examples=vals[bad].head(3).tolist(),
                        fix="write a share as 0.05 or 5% (not 5).")
    return vals


def read_benefits(source, mapping: Mapping[str, str] | None = None,
                  observation_end=None, options=None) -> pd.DataFrame:
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
    name, df, out, parsed = _begin(source, "benefits", mapping, observation_end, options)
    out["benefit_id"] = _unique_ids(df, "benefit_id", name, "benefit ids listed more than once",
                                    "give every benefit its own id.")
    names = df["name"]
    if names.isna().any():
        raise rules.missing_values(name, "name", int(names.isna().sum()), "names")
    out["name"] = names
    out["dimension"] = _vocabulary(
        df, "dimension", DIMENSION_ALIASES, name, "benefit dimensions",
        f"use one of the six: {', '.join(f'{k} ({zh})' for k, (_, zh) in BENEFIT_DIMENSIONS.items())}.")
    for col in ("cost_per_member", "perceived_value"):
        vals = df[col]
        neg = vals < 0
        if neg.any():
            raise DataError("negative values", source=name, column=col, rows=int(neg.sum()),
                            examples=df.loc[neg, "benefit_id"].head(3).tolist(),
                            fix=f"{col} is yuan per member and year (or per use); use 0 for none.")
        out[col] = vals
    out["cost_share_of_spend"] = _shares(df, "cost_share_of_spend", name)
    if "min_tier" in df.columns:
        out["min_tier"] = df["min_tier"]
    if "name_zh" in df.columns:
        out["name_zh"] = df["name_zh"]
    if "uptake" in df.columns:
        up = _shares(df, "uptake", name)
        zero = up == 0
        if zero.any():
            raise DataError("an uptake of 0 (nobody uses the benefit)", source=name, column="uptake",
                            rows=int(zero.sum()), fix="drop the benefit, or give the share who use it.")
        out["uptake"] = up.fillna(1.0)
    if "uses_per_year" in df.columns:
        uses = df["uses_per_year"]
        bad = uses.notna() & (uses <= 0)
        if bad.any():
            raise DataError("uses per year of 0 or less", source=name, column="uses_per_year",
                            rows=int(bad.sum()), fix="give the number of uses a year (e.g. 6), or leave it empty.")
        out["uses_per_year"] = uses
    return _finish(out, parsed)


def _binary(df: pd.DataFrame, col: str, name: str) -> pd.Series:
    vals = df[col]
    if vals.isna().any():
        raise rules.missing_values(name, col, int(vals.isna().sum()))
    bad = ~vals.isin([0.0, 1.0])
    if bad.any():
        raise DataError("values other than 0 and 1", source=name, column=col, rows=int(bad.sum()),
                        examples=df.loc[bad, col].head(3).tolist(),
                        fix="write 1 when the alternative has it (or was chosen), 0 otherwise.")
    return vals.astype("int64")


def read_choices(source, mapping: Mapping[str, str] | None = None,
                 observation_end=None, options=None) -> pd.DataFrame:
    """A choice-based conjoint survey: one row per alternative shown in a choice task.

    ``respondent``, ``task`` (the choice set, per respondent), ``alternative``, ``chosen`` (1 for the
    one chosen, else 0; exactly one per task), ``price`` (the annual fee offered, yuan), optional
    ``none`` (1 for the "no membership" alternative). Every other column is an attribute of the
    alternative -- a benefit id, 1 when the offer holds that benefit, else 0.
    """
    name, df, out, parsed = _begin(source, "choices", mapping, observation_end, options)
    for col in ("respondent", "task", "alternative"):
        out[col] = df[col]
    out["chosen"] = _binary(df, "chosen", name)
    out["price"] = df["price"]
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
    return _finish(out, parsed)


def read_contacts(source, mapping: Mapping[str, str] | None = None,
                  observation_end=None, options=None) -> pd.DataFrame:
    """Contacts: one row per contact of a customer through a channel (a call, a text, an ad, a
    clerk's invitation) -- what measuring each channel's conversion to member reads.

    * ``channel``: one of the eight keys (``own_media``, ``online_shops``, ``app``, ``stores``,
      ``phone``, ``sms_email``, ``alliances``, ``paid_ads``); their English or Chinese names and
      common variants (``sms``, ``e-mail``, ``短信``, ``wechat``/``微信``, ``tmall``/``天猫``, ``小程序``,
      ``门店``, ``广告`` ...) are accepted, in any case, with spaces, underscores or hyphens.
    * optional ``cost`` (yuan per contact, >= 0; empty where unknown) and ``campaign`` (text).
    """
    name, df, out, parsed = _begin(source, "contacts", mapping, observation_end, options)
    out["customer_id"] = df["customer_id"]
    out["timestamp"] = df["timestamp"]
    out["channel"] = _vocabulary(
        df, "channel", CHANNEL_ALIASES, name, "contact channels",
        f"use one of the eight: {', '.join(f'{k} ({zh})' for k, (_, zh, _) in CONTACT_CHANNELS.items())} "
        "(map your own labels to these first).")
    if "cost" in df.columns:
        cost = df["cost"]
        neg = cost < 0
        if neg.any():
            raise DataError("negative costs", source=name, column="cost", rows=int(neg.sum()),
                            examples=df.loc[neg, "cost"].head(3).tolist(),
                            fix="cost is yuan per contact; use 0 for free contacts, leave it empty where unknown.")
        out["cost"] = cost
    if "campaign" in df.columns:
        out["campaign"] = df["campaign"]
    return _finish(out, parsed)


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
             observation_end=None, options=None) -> pd.DataFrame:
    """Read and validate ``table`` (one of transactions, members, events, cohorts, benefits, choices,
    contacts) by the reading rules, with ``options`` (:func:`superkit.data.reading.read_options`)."""
    if table not in READERS:
        raise DataError(f"unknown table '{table}'", fix=f"use one of {list(READERS)}.")
    return READERS[table](source, mapping, observation_end=observation_end, options=options)
