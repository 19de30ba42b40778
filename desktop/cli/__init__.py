"""`ipw`: the headless path to every feature, and the launcher of the GUI.

Each subcommand module exposes `register(subparsers)`; it adds its parsers with `func` set to a function
taking the parsed arguments and returning an exit code. Errors reach the user as one line on stderr.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Sequence

from desktop import __version__
from desktop.cli import (economics_commands, export_commands, gate_commands, plan_commands, score_commands,
                         signoff_commands, trace_commands, workbook_commands)
from desktop.cli.common import EXIT_INTERNAL, EXIT_INVALID, CliError, Parser
from desktop.domain.errors import DomainError

COMMAND_MODULES = [workbook_commands, gate_commands, score_commands, trace_commands, economics_commands,
                   plan_commands, signoff_commands, export_commands]


def build_parser() -> Parser:
    from desktop.resources import playbook

    parser = Parser(prog="ipw", description="Inference Procurement Workbook: decide how to buy LLM inference.")
    book = playbook()
    parser.add_argument("--version", action="version",
                        version=f"ipw {__version__} (playbook {book.version}, {book.generated_at[:10]})")
    parser.add_argument("--debug", action="store_true", help="show a traceback on errors")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for module in COMMAND_MODULES:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from desktop.offline import forbid_network_if_requested
    forbid_network_if_requested()
    args_list = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args_list
    try:
        parser = build_parser()
        try:
            args = parser.parse_args(args_list)
        except SystemExit as exc:  # usage errors, --help and --version end here
            return int(exc.code or 0)
        if args.command is None:
            from desktop.cli.workbook_commands import launch_gui
            return launch_gui(None, sample=False)
        return int(args.func(args) or 0)
    except CliError as exc:
        _fail(str(exc), debug)
        return exc.code
    except DomainError as exc:
        _fail(str(exc), debug)
        return EXIT_INVALID
    except KeyboardInterrupt:
        _fail("interrupted", debug)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # the contract: no traceback unless asked for
        from desktop.storage.failures import explain
        if (reason := explain(exc)) is not None:  # the user's disk or file, not a bug
            _fail(reason, debug)
            return EXIT_INVALID
        _fail(f"internal error: {type(exc).__name__}: {exc} (run with --debug for details)", debug)
        return EXIT_INTERNAL


def _fail(message: str, debug: bool) -> None:
    if debug:
        traceback.print_exc()
    sys.stderr.write(f"ipw: error: {message}\n")
