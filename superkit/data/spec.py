"""The data contract's tables and constants, importable without pandas (the command line's fast path)."""
from __future__ import annotations

__all__ = ["ABSURD_AMOUNT", "ATTRIBUTE_TABLES", "BENEFIT_DIMENSIONS", "DIMENSION_ALIASES", "EVENT_KINDS",
           "TABLES", "attribute_columns", "looks_binary"]

TABLES: dict[str, dict[str, list[str]]] = {
    "transactions": {
        "required": ["customer_id", "timestamp", "amount"],
        "optional": ["order_id", "category", "brand", "channel", "store"],
    },
    "members": {
        "required": ["customer_id", "joined_at"],
        "optional": ["tier", "fee", "ended_at"],
    },
    "events": {
        "required": ["customer_id", "timestamp", "kind"],
        "optional": ["channel"],
    },
    "cohorts": {
        "required": ["cohort", "period", "active"],
        "optional": [],
    },
    "benefits": {
        "required": ["benefit_id", "name", "dimension", "cost_per_member", "cost_share_of_spend",
                     "perceived_value"],
        "optional": ["min_tier", "name_zh", "uptake", "uses_per_year"],
    },
    # a choice-based conjoint survey: one row per alternative shown; every other column is an
    # attribute of the alternative (a benefit id, 1 when the offer holds it)
    "choices": {
        "required": ["respondent", "task", "alternative", "chosen", "price"],
        "optional": ["none"],
    },
}
# tables whose columns beyond the listed ones are kept (as attributes) instead of dropped
ATTRIBUTE_TABLES = ("choices",)
# The six benefit dimensions of the method (key -> English, Chinese).
BENEFIT_DIMENSIONS = {
    "exclusive_price": ("exclusive price", "独家价格"),
    "discount": ("discounts", "优惠折扣"),
    "exclusive_product": ("exclusive products", "独家产品"),
    "service": ("preferential services", "优惠服务"),
    "spend_discount": ("spend-based discounts", "消费折扣"),
    "customised": ("customised offers", "定制优惠"),
}
# What a catalog may write for a dimension: the key, its English or Chinese name, a few variants.
DIMENSION_ALIASES = {
    **{k: k for k in BENEFIT_DIMENSIONS},
    **{en: k for k, (en, _) in BENEFIT_DIMENSIONS.items()},
    **{zh: k for k, (_, zh) in BENEFIT_DIMENSIONS.items()},
    "price": "exclusive_price", "member price": "exclusive_price", "会员价": "exclusive_price",
    "discounts": "discount", "优惠": "discount", "折扣": "discount",
    "product": "exclusive_product", "products": "exclusive_product",
    "services": "service", "服务": "service",
    "rebate": "spend_discount", "rebates": "spend_discount", "points": "spend_discount", "积分": "spend_discount",
    "customized": "customised", "custom": "customised", "定制": "customised",
}
EVENT_KINDS = ("feedback", "share", "referral", "review", "complaint")
# An amount this large on one transaction is almost surely a unit or parsing error (cents, ids).
ABSURD_AMOUNT = 1e9


def attribute_columns(columns, table: str = "choices") -> list[str]:
    """The attribute columns of an attribute table (for ``choices``: the benefits shown), in order."""
    listed = set(TABLES[table]["required"]) | set(TABLES[table]["optional"])
    return [str(c) for c in columns if c not in listed]


def looks_binary(head: bytes) -> bool:
    """True for bytes that are not CSV text (NULs, zip/xls signatures, many control bytes)."""
    if not head:
        return False
    if b"\x00" in head:
        return True
    if head[:4] in (b"PK\x03\x04", b"\xd0\xcf\x11\xe0"):  # xlsx (zip) / xls (OLE)
        return True
    text_chars = bytes(range(32, 127)) + b"\n\r\t\f\b"
    nontext = sum(1 for b in head if b not in text_chars and b < 128)
    return nontext / len(head) > 0.1
