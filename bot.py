"""Gatehouse's entry point: `python bot.py [command]`; the sandbox, or the CLI and its wiring."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

from cli import dispatch


def main(argv: list[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    settings = dict(os.environ if environ is None else environ)
    if args == ["sandbox"]:
        return _sandbox(settings)
    return dispatch(args, settings)


def _sandbox(environ: dict[str, str]) -> int:
    """The demo lives apart from the production CLI, which never imports it."""
    try:
        from sandbox.app import run_sandbox
    except ImportError as exc:
        print(f"The sandbox needs the development requirements: {exc}. "
              "Install them with `pip install -r requirements-dev.txt`.", file=sys.stderr)
        return 2
    return run_sandbox(environ)


if __name__ == "__main__":
    sys.exit(main())
