"""Helpers shared by the sub-commands."""
from __future__ import annotations

from superkit.core.errors import DataError

__all__ = ["add_reading_flags", "parse_mapping", "reading_options"]


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


def add_reading_flags(p) -> None:
    """The reading options every command that reads a client's file takes (the same rules as the
    report config's ``reading:``)."""
    g = p.add_argument_group("reading a client's export")
    g.add_argument("--encoding", default=None,
                   help="the file's text encoding (default: detect UTF-8, GB18030/GBK or UTF-16 with a BOM)")
    g.add_argument("--amount-unit", choices=["yuan", "fen"], default=None,
                   help="the unit of transaction amounts: yuan (default) or fen (分, divided by 100)")
    g.add_argument("--timezone", default=None, metavar="ZONE",
                   help="convert times written with UTC offsets to this zone's wall clock, e.g. Asia/Shanghai "
                        "(default: times are local wall-clock times as written)")
    g.add_argument("--strip-leading-zeros", action="store_true", default=None,
                   help="drop leading zeros of all-digit customer ids (one export kept them, another did not)")


def reading_options(args, base=None):
    """The :class:`~superkit.data.reading.ReadOptions` of the command line's flags over ``base``."""
    from superkit.data.reading import read_options

    return read_options(base, encoding=args.encoding, amount_unit=args.amount_unit, timezone=args.timezone,
                        strip_leading_zeros=args.strip_leading_zeros)
