"""Start-up: `ipw --version`, `ipw info` and `ipw verify` as fresh processes, against `python -c pass` and
`python -c "import numpy"` measured in the same run.

Run: `.venv/bin/python -m tests.perf.bench_startup [--runs N] [--workbook BIG.ipwb]` (not collected by pytest).

Each command is the real console script (`.venv/bin/ipw`), timed wall-clock from spawn to exit, N runs taken
round-robin after one warm-up each (so the first `ipw info` has cached whatever it caches, and a machine that
gets busier affects every command alike); min/median/max, the median's ratio to each peer, and the peak memory
of one run in a fresh interpreter (VmHWM). The workbook is a copy of the sample; `ipw verify` reads a draft
memo and a signed one (its PAdES signature is checked, so pyHanko loads where it is used).
With --workbook, `ipw info` on that workbook is also timed (the issue's target: under 0.5 s and 150 MB at
1M trace rows), and again with an empty user cache each run (through `sh -c`, a few ms more): a file this
machine never read, as one received from elsewhere, is checked (quick_check) and its rows counted once.

Exit status 1 when `ipw --version` misses its target: median <= 1.5 x `python -c pass` + 0.2 s; or, with
--workbook, when `ipw info` on it takes 0.5 s or more, or 150 MB or more.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.perf.timing import peak_rss_mib

VERSION_FACTOR, VERSION_ALLOWANCE_S = 1.5, 0.2
BIG_INFO_S, BIG_INFO_MB = 0.5, 150


def ipw_command() -> list[str]:
    script = Path(sys.executable).parent / "ipw"
    return [str(script)] if script.exists() else [sys.executable, "-m", "desktop"]


def run_once(command: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 4):  # 4: a draft memo, nothing to verify
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr.strip()}")
    return elapsed


def cli_peak_mib(args: list[str]) -> float:
    """Peak resident memory (MiB) of `ipw ARGS` run through the console entry in a fresh interpreter."""
    return peak_rss_mib(f"from desktop.cli import main; main({args!r})")


def prepare(folder: Path) -> dict[str, list[str]]:
    """The sample workbook, a draft memo and a signed memo in `folder`; the commands to time."""
    ipw = ipw_command()
    sample, signed = folder / "sample.ipwb", folder / "signed.ipwb"
    key = folder / "key.pem"
    steps = [["new", sample, "--sample"], ["export", sample, "--pdf", folder / "draft.pdf"],
             ["new", signed, "--sample"], ["keygen", "--key", key],
             ["sign", signed, "--name", "Dana Lee", "--role", "CFO", "--decision", "approve", "--key", key],
             ["export", signed, "--pdf", folder / "signed.pdf"]]
    for step in steps:
        subprocess.run([*ipw, *map(str, step)], check=True, capture_output=True)
    return {
        "python -c pass": [sys.executable, "-c", "pass"],
        'python -c "import numpy"': [sys.executable, "-c", "import numpy"],
        "ipw --version": [*ipw, "--version"],
        "ipw info (sample)": [*ipw, "info", str(sample)],
        "ipw verify (draft memo)": [*ipw, "verify", str(folder / "draft.pdf")],
        "ipw verify (signed memo)": [*ipw, "verify", str(folder / "signed.pdf")],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workbook", type=Path, help="also time `ipw info` on this (big) workbook")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="ipw-bench-startup-") as tmp:
        folder = Path(tmp)
        os.environ["IPW_USER_DATA_DIR"] = str(folder / "user")  # keys and settings stay in the run's folder
        os.environ["IPW_USER_CONFIG_DIR"] = str(folder / "config")
        commands = prepare(folder)
        if args.workbook is not None:
            commands[f"ipw info ({args.workbook.name})"] = [*ipw_command(), "info", str(args.workbook)]
            commands["  the same, empty user cache"] = [
                "sh", "-c", 'XDG_CACHE_HOME="$(mktemp -d "$0/cache-XXXXXX")" exec "$@"', str(folder),
                *ipw_command(), "info", str(args.workbook)]
        for command in commands.values():
            run_once(command)  # warm-up: page cache, bytecode, whatever a first run caches
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, command in commands.items():
                times[name].append(run_once(command))
        peaks = {name: cli_peak_mib(command[len(ipw_command()):]) for name, command in commands.items()
                 if name.startswith("ipw")}

    medians = {name: statistics.median(t) for name, t in times.items()}
    base, numpy = medians["python -c pass"], medians['python -c "import numpy"']
    print(f"start-up, {args.runs} runs each (round-robin, after one warm-up): min / median / max seconds")
    for name, runs in times.items():
        peak = f"  peak {peaks[name]:5.0f} MiB" if name in peaks else ""
        print(f"  {name:<28} {min(runs):6.3f} {medians[name]:6.3f} {max(runs):6.3f}   "
              f"x{medians[name] / base:6.1f} pass   x{medians[name] / numpy:5.2f} import numpy{peak}")
    version = medians["ipw --version"]
    limit = VERSION_FACTOR * base + VERSION_ALLOWANCE_S
    ok = version <= limit
    print(f"ipw --version: median {version:.3f} s, target <= {VERSION_FACTOR} x {base:.3f} + {VERSION_ALLOWANCE_S} "
          f"= {limit:.3f} s: {'met' if ok else 'MISSED'}")
    if args.workbook is not None:
        name = f"ipw info ({args.workbook.name})"
        peak_mb = peaks[name] * 1024 ** 2 / 1e6
        big_ok = medians[name] < BIG_INFO_S and peak_mb < BIG_INFO_MB
        print(f"{name}: median {medians[name]:.3f} s, peak {peak_mb:.0f} MB, target < {BIG_INFO_S} s and "
              f"< {BIG_INFO_MB} MB: {'met' if big_ok else 'MISSED'}")
        ok = ok and big_ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
