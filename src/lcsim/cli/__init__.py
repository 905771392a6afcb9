"""The `lcsim` command line.

Each command lives in its own module here with `register(subparsers)`; the module's
`ORDER` sets its place in `lcsim --help`. A command returns an exit status.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from ..errors import LcsimError, UsageError  # noqa: F401  (UsageError re-exported for the commands)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lcsim", description="Simulate whether a learning community survives its convener's exit.")
    from .. import __version__

    parser.add_argument("--version", action="version", version=f"lcsim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules = [importlib.import_module(f"{__name__}.{m.name}") for m in pkgutil.iter_modules(__path__)]
    for module in sorted((m for m in modules if hasattr(m, "register")), key=lambda m: m.ORDER):
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return args.handler(args) or 0
    except LcsimError as err:
        print(f"lcsim {args.command}: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `lcsim params | head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print(f"lcsim {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
