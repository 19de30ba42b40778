"""IPW_FORBID_NETWORK=1: the audit hook of desktop/offline.py blocks connects and name lookups.

An audit hook cannot be removed, so every check runs in a fresh Python process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PROBE = textwrap.dedent("""
    import socket, sys
    {setup}
    def attempt(label, action):
        try:
            action()
        except Exception as exc:
            print(f"{{label}}: {{type(exc).__name__}}: {{exc}}")
        else:
            print(f"{{label}}: allowed")

    def connect():
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        client = socket.socket()
        try:
            client.connect(server.getsockname())
        finally:
            client.close()
            server.close()

    def connect_ex():
        client = socket.socket()
        try:
            client.connect_ex(("127.0.0.1", 9))
        finally:
            client.close()

    def sendto():
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            udp.sendto(b"x", ("127.0.0.1", 9))
        finally:
            udp.close()

    def unix_pair():
        a, b = socket.socketpair()
        a.close(); b.close()

    attempt("connect", connect)
    attempt("connect_ex", connect_ex)
    attempt("sendto", sendto)
    attempt("getaddrinfo", lambda: socket.getaddrinfo("localhost", 80))
    attempt("gethostbyname", lambda: socket.gethostbyname("localhost"))
    attempt("gethostbyaddr", lambda: socket.gethostbyaddr("127.0.0.1"))
    attempt("gethostname", socket.gethostname)
    attempt("socketpair", unix_pair)
    import desktop.offline
    print("installed:", desktop.offline.installed())
""")

BLOCKED = ("connect", "connect_ex", "sendto", "getaddrinfo", "gethostbyname", "gethostbyaddr")


def run_probe(setup: str, forbid: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("IPW_FORBID_NETWORK", None)
    if forbid is not None:
        env["IPW_FORBID_NETWORK"] = forbid
    result = subprocess.run([sys.executable, "-c", PROBE.format(setup=setup)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(": ", 1) for line in result.stdout.splitlines() if ": " in line)
    return lines


@pytest.mark.parametrize("setup", [
    "from desktop.offline import forbid_network_if_requested; forbid_network_if_requested()",
    # the real entry points call it first thing
    "from desktop.cli import main; main(['--version'])",
])
def test_the_hook_blocks_connects_and_lookups_with_a_clear_error(setup: str) -> None:
    lines = run_probe(setup, "1")
    assert lines["installed"] == "True"
    for label in BLOCKED:
        assert lines[label].startswith("NetworkForbiddenError: network access is forbidden (IPW_FORBID_NETWORK=1)"), \
            (label, lines[label])
    assert "connection blocked (socket.connect" in lines["connect"]
    assert "name lookup blocked (socket.getaddrinfo: 'localhost', 80" in lines["getaddrinfo"]
    assert "datagram blocked (socket.sendto" in lines["sendto"]
    # local, not the network: the host's own name (workbook locks) and AF_UNIX pairs
    assert lines["gethostname"] == "allowed"
    assert lines["socketpair"] == "allowed"


@pytest.mark.parametrize("value", [None, "", "0", "no"])
def test_without_the_variable_nothing_is_blocked(value: str | None) -> None:
    lines = run_probe("from desktop.offline import forbid_network_if_requested; forbid_network_if_requested()",
                      value)
    assert lines["installed"] == "False"
    for label in ("getaddrinfo", "gethostbyname", "sendto", "gethostname", "socketpair"):
        assert "NetworkForbiddenError" not in lines[label], (label, lines[label])
    assert "NetworkForbiddenError" not in lines["connect"]


def test_the_gui_entry_installs_the_hook_too() -> None:
    code = textwrap.dedent("""
        import desktop.app, desktop.offline, inspect
        source = inspect.getsource(desktop.app.run_gui)
        print(source.index("forbid_network_if_requested()") < source.index("QApplication("))
    """)
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "True", result.stderr


def test_the_cli_reports_a_blocked_access_as_one_line(tmp_path: Path) -> None:
    """What a user sees when some code path tries the network: one line, no traceback."""
    code = textwrap.dedent("""
        import sys
        from desktop import cli
        from desktop.cli import common
        def reach_out(args):
            import urllib.request
            urllib.request.urlopen("http://example.invalid/", timeout=5)
        original = cli.build_parser
        def build_parser(argv=None):
            parser = original(argv)
            sub = [a for a in parser._actions if a.dest == "command"][0]
            sub.add_parser("reach-out").set_defaults(func=reach_out)
            return parser
        cli.build_parser = build_parser
        sys.exit(cli.main(["reach-out"]))
    """)
    env = dict(os.environ, IPW_FORBID_NETWORK="1")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "network access is forbidden (IPW_FORBID_NETWORK=1): name lookup blocked" in result.stderr, \
        result.stderr
