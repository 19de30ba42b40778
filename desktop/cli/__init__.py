"""`ipw`: the headless path to every feature, and the launcher of the GUI.

Each subcommand module exposes `register(subparsers)`; it adds its parsers with `func` set to a function
taking the parsed arguments and returning an exit code. Errors reach the user as one line on stderr.

Only the module of the command asked for is imported (COMMANDS), so `ipw --version` loads no command module
and `ipw info` or `ipw verify` none of the importers, economics or exports they do not use; `ipw --help`
and an unknown command load them all.
"""

from __future__ import annotations

import importlib
import sys
import traceback
from collections.abc import Sequence

from desktop import __version__
from desktop.cli.common import EXIT_INTERNAL, EXIT_INVALID, CliError, Parser, quiet_broken_pipe
from desktop.domain.errors import DomainError

# Each command's module in desktop.cli, in the order `ipw --help` lists them (tests/cli/test_lazy_imports.py
# checks it against what each module registers).
COMMANDS: dict[str, str] = {
    "new": "workbook_commands", "info": "workbook_commands", "context": "workbook_commands",
    "open": "workbook_commands",
    "gate": "gate_commands",
    "score": "score_commands",
    "import": "trace_commands", "traces": "trace_commands", "template": "trace_commands",
    "metrics": "economics_commands", "calc": "economics_commands", "scenarios": "economics_commands",
    "recommend": "economics_commands", "catalog": "economics_commands",
    "plan": "plan_commands", "constraint": "plan_commands",
    "keygen": "signoff_commands", "sign": "signoff_commands", "revoke": "signoff_commands",
    "audit": "signoff_commands", "verify": "signoff_commands",
    "export": "export_commands",
}
COMMAND_MODULES: tuple[str, ...] = tuple(dict.fromkeys(COMMANDS.values()))
_HELP = ("-h", "--help")


def modules_for(argv: Sequence[str] | None) -> tuple[str, ...]:
    """The command modules `argv` needs: the named command's; all of them for help or an unknown command
    (so usage lists every choice); none when no command is named (--version, or the GUI launch)."""
    if argv is None:
        return COMMAND_MODULES
    command = next((arg for arg in argv if not arg.startswith("-")), None)  # global options take no value
    if command is None:
        return COMMAND_MODULES if any(arg in _HELP for arg in argv) else ()
    return (COMMANDS[command],) if command in COMMANDS else COMMAND_MODULES


def build_parser(argv: Sequence[str] | None = None) -> Parser:
    """The `ipw` parser with the commands `argv` needs (all of them when argv is None)."""
    from desktop.resources import playbook

    parser = Parser(prog="ipw", description="Inference Procurement Workbook: decide how to buy LLM inference.")
    book = playbook()
    parser.add_argument("--version", action="version",
                        version=f"ipw {__version__} (playbook {book.version}, {book.generated_at[:10]})")
    parser.add_argument("--debug", action="store_true", help="show a traceback on errors")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name in modules_for(argv):
        importlib.import_module(f"desktop.cli.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from desktop.offline import forbid_network_if_requested
    forbid_network_if_requested()
    args_list = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args_list
    try:
        parser = build_parser(args_list)
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
    except BrokenPipeError:  # `ipw traces FILE | head`: the reader has what it wanted
        quiet_broken_pipe()
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
