"""Light commands stay light: `ipw --version`, `ipw info` and `ipw verify` of an exported memo import neither
numpy, polars, pyarrow nor Qt. Each probe runs the console entry (`desktop.cli.main`, what the `ipw` script
calls) in a fresh interpreter and reports what the command left in sys.modules."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

from desktop import cli
from desktop.cli.common import Parser

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("numpy", "polars", "pyarrow", "PySide6", "shiboken6", "pyqtgraph")

PROBE = textwrap.dedent("""
    import json, sys
    from desktop.cli import main
    code = main(sys.argv[1:])
    sys.stdout.flush()
    print("\\nMODULES " + json.dumps({"code": code, "modules": sorted(sys.modules)}))
""")


def probe(*args: object) -> tuple[int, str, set[str]]:
    """Run `ipw ARGS` in a fresh interpreter: (exit code, what it printed, the modules it loaded)."""
    done = subprocess.run([sys.executable, "-c", PROBE, *map(str, args)], capture_output=True, text=True,
                          timeout=300, cwd=ROOT)
    output, _, report = done.stdout.rpartition("\nMODULES ")
    assert report, done.stdout + done.stderr
    data = json.loads(report)
    return data["code"], output + done.stderr, set(data["modules"])


def heavy_in(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY)


def test_the_ipw_script_is_the_probed_entry():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert scripts["ipw"] == "desktop.cli:main"


def test_version_loads_no_command_module_and_nothing_heavy():
    code, output, modules = probe("--version")
    assert code == 0 and output.startswith("ipw 0.1.0 (playbook "), output
    assert heavy_in(modules) == []
    assert "cryptography" not in modules
    assert sorted(m for m in modules if m.endswith("_commands")) == []
    assert sorted(m for m in modules if m.startswith(("desktop.economics", "desktop.importers", "desktop.exports",
                                                      "desktop.services"))) == []


@pytest.fixture
def sample(tmp_path, ipw):
    path = tmp_path / "sample.ipwb"
    assert ipw("new", path, "--sample").code == 0
    return path


def test_info_on_the_sample_loads_nothing_heavy(sample, tmp_path, ipw):
    code, output, modules = probe("info", sample)  # the traces hash and decision parts are kept by `ipw new`
    assert code == 0 and "traces:         8" in output and "signed off:     no" in output, output
    assert heavy_in(modules) == []
    assert sorted(m for m in modules if m.startswith(("desktop.importers", "desktop.cli.economics"))) == []
    assert ipw("template", "--csv", tmp_path / "t.csv").code == 0
    assert ipw("import", sample, tmp_path / "t.csv", "--allow-duplicate").code == 0  # and again at each edit
    code, output, modules = probe("info", sample)  # new rows: the economics in the fingerprint are computed once
    assert code == 0 and "traces:         11" in output, output
    code, output, modules = probe("info", sample)  # and then kept in the user's cache folder
    assert code == 0 and "traces:         11" in output, output
    assert heavy_in(modules) == []


def test_verify_of_an_exported_memo_loads_no_numpy_polars_or_qt(sample, tmp_path, ipw):
    memo = tmp_path / "memo.pdf"
    assert ipw("export", sample, "--pdf", memo).code == 0
    code, output, modules = probe("verify", memo)
    assert code == 4 and "NOTHING TO VERIFY: a draft" in output, output  # a draft: nothing was signed
    assert "[ok  ] visible text" in output  # the memo's pages were read and checked, not skipped
    assert heavy_in(modules) == []


def test_verify_of_a_signed_memo_loads_pyhanko_for_the_signature_but_no_numpy_polars_or_qt(sample, tmp_path, ipw):
    key = tmp_path / "key.pem"
    assert ipw("keygen", "--key", key).code == 0
    assert ipw("sign", sample, "--name", "Dana Lee", "--role", "CFO", "--decision", "approve", "--key", key).code == 0
    memo = tmp_path / "signed.pdf"
    assert ipw("export", sample, "--pdf", memo).code == 0
    code, output, modules = probe("verify", memo)
    assert code == 0 and "INTACT" in output, output
    assert "pyhanko" in modules and "cryptography" in modules  # where used: the signature is checked
    assert heavy_in(modules) == []


# ---- the command table: only the named command's module is imported

def registered(module_name: str) -> list[str]:
    parser = Parser(prog="ipw")
    subparsers = parser.add_subparsers(dest="command", parser_class=Parser)
    __import__(f"desktop.cli.{module_name}", fromlist=["register"]).register(subparsers)
    return list(subparsers.choices)


def test_the_command_table_names_each_command_of_each_module_once():
    modules = sorted(path.stem for path in (ROOT / "desktop" / "cli").glob("*_commands.py"))
    assert sorted(cli.COMMAND_MODULES) == modules
    for module_name in modules:
        assert registered(module_name) == [c for c, m in cli.COMMANDS.items() if m == module_name], module_name


def test_a_command_needs_its_own_module_help_and_unknown_commands_all_version_none():
    assert cli.modules_for(["--debug", "info", "verify.pdf"]) == ("workbook_commands",)
    assert cli.modules_for(["verify", "memo.pdf", "--json"]) == ("signoff_commands",)
    assert cli.modules_for(["--version"]) == ()
    assert cli.modules_for([]) == ()  # the GUI launch
    assert cli.modules_for(["--help"]) == cli.modules_for(["-h"]) == cli.COMMAND_MODULES
    assert cli.modules_for(["bogus"]) == cli.modules_for(None) == cli.COMMAND_MODULES


def test_help_and_an_unknown_command_still_list_every_command(ipw):
    helped = ipw("--help")
    assert helped.code == 0
    assert [c for c in cli.COMMANDS if not re.search(rf"^ {{4}}{c}\b", helped.out, re.M)] == [], helped.out
    listed = ipw("bogus")
    assert listed.code == 2
    assert all(f"'{command}'" in listed.err for command in cli.COMMANDS), listed.err
