"""The ``superkit`` command line.

Each sub-command lives in ``superkit/cli/<name>.py`` with two functions:
``add_parser(subparsers)`` and ``run(args) -> int``. Bad input and model failures are printed
as one clear message on stderr (exit 2), never as a traceback.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from superkit.core.errors import DataError, EngineError, ModelError

__all__ = ["COMMANDS", "build_parser", "main"]

COMMANDS = ["validate", "summarize", "simulate", "score", "report"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="superkit",
        description="Super-user and paid-membership analytics: validate, summarise, model, report.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"superkit.cli.{name}")
        except ModuleNotFoundError as exc:  # a command not built yet
            if exc.name == f"superkit.cli.{name}":
                continue
            raise
        p = module.add_parser(sub)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except (DataError, ModelError, EngineError) as exc:
        print(f"superkit {args.command}: {exc}", file=sys.stderr)
        return 2
    except FileNotFoundError as exc:
        print(f"superkit {args.command}: file not found: {exc.filename or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
