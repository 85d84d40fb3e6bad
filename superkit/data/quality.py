"""The data-quality profile: what a consultant checks in a client's data before reading any result.

For each table: rows, customers, the date range, the amounts (their spread, refunds, whether they
look like fen), what reading did (an encoding, a title line, repeated rows dropped, memberships
still running) and what to check. Across tables: how many member ids are found among the buyers
(and whether stripping leading zeros would match them: one export kept ``000010``, another wrote
``10``), events and contacts of customers no table knows, members who never bought. A join that
fails is a warning on the profile -- the report shows it on its index page -- not a silent zero.

``superkit validate`` prints it; ``superkit report`` writes it as ``data_quality.json`` and a page.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from superkit.core import i18n
from superkit.core.errors import DataError

__all__ = ["JOIN_WARNING_SHARE", "Profile", "cross_checks", "message_text", "profile_tables", "table_name", "table_profile"]

# below this share of member ids found among the buyers, the tables are said not to join
JOIN_WARNING_SHARE = 0.5
_DATE_COLUMNS = ("timestamp", "joined_at")


def _store_profile(table: str, store) -> dict:
    """:func:`table_profile` of staged transactions, computed in SQL (the same figures)."""
    from superkit.data.store import EXACT, query

    cols = set(store.columns)
    q = "percentile" if store.engine == "spark" else "quantile_cont"   # both interpolate linearly
    parts = {"rows": "COUNT(*)", "customers": "COUNT(DISTINCT customer_id)",
             "first_date": 'MIN("timestamp")', "last_date": 'MAX("timestamp")',
             "revenue": f"CAST(SUM({EXACT}) AS DOUBLE)",
             "p01": f"{q}(amount, 0.01) FILTER (WHERE amount > 0)",
             "p50": f"{q}(amount, 0.5) FILTER (WHERE amount > 0)",
             "p99": f"{q}(amount, 0.99) FILTER (WHERE amount > 0)",
             "max": "MAX(amount) FILTER (WHERE amount > 0)",
             "whole": "AVG(CASE WHEN amount = round(amount) THEN CAST(1 AS DOUBLE) ELSE CAST(0 AS DOUBLE) END)",
             "refund_rows": "COUNT(*) FILTER (WHERE amount < 0)",
             "refunds": "SUM(amount) FILTER (WHERE amount < 0)", "sales": "SUM(amount) FILTER (WHERE amount > 0)"}
    if "order_id" in cols:
        parts["orders"] = "COUNT(DISTINCT order_id)"
    for col in ("category", "brand", "channel", "store"):
        if col in cols:
            parts[f"{col}_values"] = f'COUNT(DISTINCT "{col}")'
    row = query(store, "SELECT " + ", ".join(f"{v} AS {k}" for k, v in parts.items()) + " FROM {tx}").iloc[0]
    out: dict = {"rows": int(row["rows"]), "customers": int(row["customers"])}
    if out["rows"]:
        out["first_date"], out["last_date"] = str(row["first_date"].date()), str(row["last_date"].date())
    out["revenue"] = float(row["revenue"] or 0.0)
    out["amount_quantiles"] = ({q: float(row[q]) for q in ("p01", "p50", "p99", "max")}
                               if pd.notna(row["max"]) else {})
    out["whole_number_share"] = float(row["whole"]) if out["rows"] else 0.0
    out["refund_rows"] = int(row["refund_rows"])
    sales = float(row["sales"]) if pd.notna(row["sales"]) else 0.0
    out["refund_share_of_sales"] = (abs(float(row["refunds"]) if pd.notna(row["refunds"]) else 0.0) / sales
                                    if sales else 0.0)
    for key in ("orders", "category_values", "brand_values", "channel_values", "store_values"):
        if key in row.index:
            out[key] = int(row[key])
    out["notes"] = list(store.attrs.get("notes", []))
    out["warnings"] = list(store.attrs.get("warnings", []))
    return out


def table_profile(table: str, df: pd.DataFrame) -> dict:
    """The profile of one table as read (a reader's output, with its ``attrs`` notes and warnings;
    or staged transactions, a :class:`superkit.data.store.Store`)."""
    from superkit.data.store import is_store

    if is_store(df):
        return _store_profile(table, df)
    out: dict = {"rows": int(len(df))}
    if "customer_id" in df.columns:
        out["customers"] = int(df["customer_id"].nunique())
    date = next((c for c in _DATE_COLUMNS if c in df.columns), None)
    if date is not None and len(df):
        out["first_date"], out["last_date"] = str(df[date].min().date()), str(df[date].max().date())
    if table == "transactions":
        amt = df["amount"].to_numpy(dtype=float)
        pos = amt[amt > 0]
        out["revenue"] = float(amt.sum())
        out["amount_quantiles"] = ({q: float(np.quantile(pos, p)) for q, p in
                                    (("p01", 0.01), ("p50", 0.5), ("p99", 0.99))} | {"max": float(pos.max())}
                                   if len(pos) else {})
        out["whole_number_share"] = float(np.mean(amt == np.round(amt))) if len(amt) else 0.0
        out["refund_rows"] = int((amt < 0).sum())
        out["refund_share_of_sales"] = float(abs(amt[amt < 0].sum()) / pos.sum()) if len(pos) else 0.0
        if "order_id" in df.columns:
            out["orders"] = int(df["order_id"].nunique())
        for col in ("category", "brand", "channel", "store"):
            if col in df.columns:
                out[f"{col}_values"] = int(df[col].nunique())
    elif table == "members":
        if "ended_at" in df.columns:
            out["ended"] = int(df["ended_at"].notna().sum())
        if "tier" in df.columns:
            out["tiers"] = {str(k): int(v) for k, v in df["tier"].value_counts().items()}
    elif table in ("events", "contacts"):
        col = "kind" if table == "events" else "channel"
        out[col] = {str(k): int(v) for k, v in df[col].value_counts().items()}
    out["notes"] = list(df.attrs.get("notes", []))
    out["warnings"] = list(df.attrs.get("warnings", []))
    return out


def _stripped(ids: pd.Series) -> pd.Series:
    text = ids.astype(str)
    digits = text.str.fullmatch(r"[0-9]+")
    return text.where(~digits, text.str.lstrip("0").replace("", "0"))


def table_name(table: str, lang: str = "en") -> str:
    """A table (or another input of a config's ``data``) by its name in ``lang`` ("交易记录"); a name
    the catalogue does not know is shown as it is."""
    key = f"table_{table}"
    return i18n.text("quality", key, lang) if i18n.has_text("quality", key) else table


def message_text(message: str, lang: str = "en") -> str:
    """A note or warning of the data layer (its templates: ``superkit/core/labels/data.yaml``) in
    ``lang``; a leading table name ("transactions: ...") is written as that table's name."""
    lang = i18n.check_language(lang)
    if lang == "en" or not isinstance(message, str):
        return message
    table, sep, rest = message.partition(": ")
    if sep and table_name(table, lang) != table:
        return table_name(table, lang) + "：" + i18n.translate_message(rest, lang)
    return i18n.translate_message(message, lang)


def cross_checks(frames: dict[str, pd.DataFrame]) -> tuple[dict, list[str]]:
    """How the tables' customer ids meet: ``(figures, warnings)``."""
    tx, members = frames.get("transactions"), frames.get("members")
    figures: dict = {}
    warnings: list[str] = []
    if tx is not None and hasattr(tx, "to_pandas"):      # staged transactions: the distinct ids only
        from superkit.data.store import query
        buyers = set(query(tx, "SELECT DISTINCT customer_id FROM {tx}")["customer_id"])
    else:
        buyers = set(tx["customer_id"]) if tx is not None else None
    if buyers is not None and members is not None and len(members):
        ids = members["customer_id"]
        found = int(ids.isin(buyers).sum())
        share = found / len(ids)
        figures["members"] = int(len(ids))
        figures["members_among_buyers"] = found
        figures["members_among_buyers_share"] = share
        figures["members_who_never_bought"] = int(len(ids) - found)
        if share < JOIN_WARNING_SHARE:
            buyer_ids = pd.Series(sorted(buyers), dtype=object)
            by_stripped = dict(zip(_stripped(buyer_ids), buyer_ids))
            member_stripped = _stripped(ids)
            share_z = float(member_stripped.isin(by_stripped).mean())
            figures["members_among_buyers_share_without_leading_zeros"] = share_z
            if share_z >= max(JOIN_WARNING_SHARE, share + 0.2):
                k = int(member_stripped.isin(by_stripped).to_numpy().argmax())
                warnings.append(i18n.text("data", "warn_join_zeros", "en", found=f"{found:,}", members=f"{len(ids):,}",
                                          share=f"{share:.0%}", share_zeros=f"{share_z:.0%}", member=ids.iloc[k],
                                          buyer=by_stripped[member_stripped.iloc[k]]))
            else:
                warnings.append(i18n.text("data", "warn_join_ids", "en", found=f"{found:,}", members=f"{len(ids):,}",
                                          share=f"{share:.0%}"))
    known = set(buyers or ()) | (set(members["customer_id"]) if members is not None else set())
    for table in ("events", "contacts"):
        df = frames.get(table)
        if df is None or not len(df) or not known:
            continue
        unknown = ~df["customer_id"].isin(known)
        figures[f"{table}_of_unknown_customers"] = int(unknown.sum())
        figures[f"{table}_of_unknown_customers_share"] = float(unknown.mean())
        if unknown.mean() > 0.2:
            warnings.append(i18n.text("data", f"warn_unknown_{table}", "en", n=f"{int(unknown.sum()):,}",
                                      total=f"{len(df):,}", share=f"{unknown.mean():.0%}"))
    return figures, warnings


@dataclass
class Profile:
    """Every table's profile, the cross-table figures, and all warnings; ``errors``: table -> why
    it was refused (the report runs on, the notebooks that need it will say the same)."""

    tables: dict = field(default_factory=dict)
    sources: dict = field(default_factory=dict)
    cross: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)
    errors: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"tables": self.tables, "sources": self.sources, "cross": self.cross,
                "warnings": self.warnings, "errors": self.errors}

    def lines(self) -> list[str]:
        """The profile as lines for a terminal."""
        out = []
        for table, p in self.tables.items():
            head = f"{table}: {p['rows']:,} rows"
            if "customers" in p:
                head += f", {p['customers']:,} customers"
            if "first_date" in p:
                head += f", {p['first_date']} to {p['last_date']}"
            out.append(head)
            if table == "transactions" and p.get("amount_quantiles"):
                q = p["amount_quantiles"]
                out.append(f"  amounts: median {q['p50']:,.2f}, 1%-99% {q['p01']:,.2f}-{q['p99']:,.2f}, "
                           f"max {q['max']:,.2f}; revenue {p['revenue']:,.2f}; {p['refund_rows']:,} refund rows "
                           f"({p['refund_share_of_sales']:.1%} of sales)")
            if table == "members" and "ended" in p:
                out.append(f"  {p['ended']:,} memberships ended, {p['rows'] - p['ended']:,} still running")
            out += [f"  read: {n}" for n in p["notes"]]
        for table, err in self.errors.items():
            out.append(f"{table}: REFUSED: {err}")
        c = self.cross
        if "members_among_buyers" in c:
            out.append(f"members among buyers: {c['members_among_buyers']:,} of {c['members']:,} "
                       f"({c['members_among_buyers_share']:.0%}); {c['members_who_never_bought']:,} never bought")
        for table in ("events", "contacts"):
            if f"{table}_of_unknown_customers" in c:
                out.append(f"{table} of unknown customers: {c[f'{table}_of_unknown_customers']:,}")
        out += [f"WARNING: {w}" for w in self.warnings]
        return out


def profile_tables(sources: dict, mapping: dict | None = None, observation_end=None, options=None,
                   read=None) -> Profile:
    """Read each table of ``sources`` (table -> path or DataFrame) by the rules and profile them.

    ``read(table, source)`` overrides how a table is read (the report reads bundled data sets its
    own way); by default the contract's readers with ``mapping`` (table -> column mapping),
    ``observation_end`` and ``options``. A table that is refused is recorded in ``errors``."""
    from superkit.data.store import read_table

    mapping = dict(mapping or {})
    prof = Profile()
    frames = {}
    for table, source in sources.items():
        prof.sources[table] = source if isinstance(source, str) else "the DataFrame"
        try:
            df = (read(table, source) if read is not None else
                  read_table(table, source, mapping.get(table), observation_end, options))
        except DataError as exc:
            prof.errors[table] = str(exc)
            continue
        frames[table] = df
        prof.tables[table] = table_profile(table, df)
        prof.warnings += [f"{table}: {w}" for w in prof.tables[table]["warnings"]]
    prof.cross, cross_warnings = cross_checks(frames)
    prof.warnings += cross_warnings
    return prof
