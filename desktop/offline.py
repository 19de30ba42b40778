"""The offline guarantee: with IPW_FORBID_NETWORK=1 any network access from Python code aborts.

`forbid_network_if_requested()` runs first thing in `ipw` (desktop.cli.main) and in the GUI entry
(desktop.app). When the variable is set it installs a `sys.addaudithook` hook that raises
`NetworkForbiddenError` on the audit events of

- connecting a socket (`socket.connect`, also raised by `connect_ex`), except AF_UNIX sockets, which
  are local inter-process channels and not the network;
- sending a datagram to an address (`socket.sendto`, `socket.sendmsg` with an address);
- every name or address lookup (`socket.getaddrinfo`, `gethostbyname`, `gethostbyname_ex`,
  `gethostbyaddr`, `getnameinfo`).

`socket.gethostname()` (the local host's own name, used by the workbook lock) stays allowed: it asks
the kernel, not the network. An audit hook cannot be removed, so the guard lasts for the whole
process. It sees what Python code does; native libraries that open sockets themselves (Qt's own
network stack, for instance, which the app does not use) bypass it: the bundle's smoke test
therefore also runs inside `unshare -rn` (no network namespace) where the machine allows it.
"""

from __future__ import annotations

import os
import socket
import sys
from typing import Any

ENV_VAR = "IPW_FORBID_NETWORK"

_LOOKUP_EVENTS = frozenset({"socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex",
                            "socket.gethostbyaddr", "socket.getnameinfo"})
_installed = False


class NetworkForbiddenError(RuntimeError):
    """Raised by the audit hook: the app tried to reach the network while IPW_FORBID_NETWORK=1."""


def requested(environ: Any = None) -> bool:
    """True when the environment asks for the guard (IPW_FORBID_NETWORK set to 1, true, yes or on)."""
    value = (os.environ if environ is None else environ).get(ENV_VAR, "")
    return value.strip().lower() in {"1", "true", "yes", "on"}


def installed() -> bool:
    return _installed


def _describe(args: tuple[Any, ...]) -> str:
    return ", ".join(repr(a) for a in args if not isinstance(a, socket.socket)) or "-"


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if not event.startswith("socket."):
        return
    if event in _LOOKUP_EVENTS:
        action = "name lookup"
    elif event == "socket.connect":
        sock = args[0] if args else None
        if getattr(sock, "family", None) == getattr(socket, "AF_UNIX", object()):
            return
        action = "connection"
    elif event in ("socket.sendto", "socket.sendmsg"):
        if event == "socket.sendmsg" and (len(args) < 2 or args[1] is None):
            return  # sendmsg on an already connected socket: its connect was checked
        action = "datagram"
    else:
        return
    raise NetworkForbiddenError(
        f"network access is forbidden ({ENV_VAR}=1): {action} blocked ({event}: {_describe(args)})")


def forbid_network() -> None:
    """Install the audit hook (once per process; it cannot be removed)."""
    global _installed
    if _installed:
        return
    sys.addaudithook(_audit)
    _installed = True


def forbid_network_if_requested() -> bool:
    """Install the hook when IPW_FORBID_NETWORK asks for it; returns whether the guard is active."""
    if requested():
        forbid_network()
    return _installed
