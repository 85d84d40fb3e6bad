"""The data contract's tables and constants, importable without pandas (the command line's fast path)."""
from __future__ import annotations

__all__ = ["ABSURD_AMOUNT", "EVENT_KINDS", "TABLES", "looks_binary"]

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
}
EVENT_KINDS = ("feedback", "share", "referral", "review", "complaint")
# An amount this large on one transaction is almost surely a unit or parsing error (cents, ids).
ABSURD_AMOUNT = 1e9


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
