"""Helpers shared by the sub-commands."""
from __future__ import annotations

from superkit.core.errors import DataError

__all__ = ["parse_mapping"]


def parse_mapping(pairs: list[str] | None) -> dict[str, str]:
    """``["customer_id=member_no", "timestamp=order_date"]`` -> dict (ours -> theirs)."""
    out: dict[str, str] = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise DataError(f"--map '{pair}' is not of the form ours=theirs",
                            fix="write e.g. --map customer_id=member_no.")
        ours, theirs = (x.strip() for x in pair.split("=", 1))
        if not ours or not theirs:
            raise DataError(f"--map '{pair}' has an empty side", fix="write e.g. --map customer_id=member_no.")
        out[ours] = theirs
    return out
