"""Benchmark: `ipw traces FILE` and `ipw traces FILE --json` on a workbook of a million trace rows.

Run: `.venv/bin/python -m tests.perf.bench_traces_list [--rows N] [--runs K] [--workbook BIG.ipwb]`
(not collected by pytest).

- ours: each listing in a fresh interpreter (`desktop.cli.main`, stdout to /dev/null), wall time from spawn to
  exit and peak resident memory (VmHWM);
- peers, same run, round-robin with ours: the `sqlite3` command-line shell writing the same rows and columns
  tab-separated (`-separator`) and as JSON (`-json`), when it is installed (time only); and a fresh Python
  process reading the same rows through the sqlite3 module and writing each as tab-joined `str()` cells,
  streaming (time and peak): what a row loop without the whole list costs;
- the same listings at a tenth of the rows (`--small-rows`), for their peak only: it must not grow with the rows.
Targets: each listing's peak under 150 MB at N rows and within 25 MB of its peak at N/10 rows; exit status 1
when one is missed. The time ratios are printed for information.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.perf.bench_economics import workbook  # noqa: E402

PEAK_MB = 150.0
GROWTH_MB = 25.0
LISTINGS = {"ipw traces": [], "ipw traces --json": ["--json"]}

_PEAK = """
with open("/proc/self/status") as status:
    peak_kib = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
sys.stderr.write(f"\\nVmHWM {{peak_kib}}\\n")
"""
_OURS = """
import os, sys
os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
from desktop.cli import main
code = main({args!r})
sys.stdout.flush()
""" + _PEAK + """
sys.exit(code)
"""
_PYTHON_PEER = """
import os, sqlite3, sys
os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
connection = sqlite3.connect(f"file:{{sys.argv[1]}}?mode=ro", uri=True)
write = sys.stdout.write
for row in connection.execute({select!r}):
    write("\\t".join("" if value is None else str(value) for value in row) + "\\n")
sys.stdout.flush()
""" + _PEAK


def select_rows() -> str:
    """The visible rows in id order, the columns `ipw traces` lists (plain SQL, for the peers)."""
    from desktop.domain.trace import FIELD_NAMES

    columns = ", ".join(["id", "import_id", *(f'"{name}"' for name in FIELD_NAMES)])
    return (f"SELECT {columns} FROM traces WHERE active = 1 AND import_id IN (SELECT id FROM imports "
            "WHERE active = 1) ORDER BY id")


def timed(command: list[str]) -> tuple[float, float | None]:
    """Seconds from spawn to exit, and the peak MB the process reported (None when it reports none)."""
    start = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command[:3])}... failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    peaks = [line.split()[1] for line in done.stderr.splitlines() if line.startswith("VmHWM ")]
    return elapsed, (int(peaks[-1]) * 1024 / 1e6 if peaks else None)


def commands(path: Path) -> dict[str, list[str]]:
    select = select_rows()
    found = {name: [sys.executable, "-c", _OURS.format(args=["traces", str(path), *extra])]
             for name, extra in LISTINGS.items()}
    sqlite3_shell = shutil.which("sqlite3")
    if sqlite3_shell:
        found["sqlite3 shell, tab-separated"] = [sqlite3_shell, "-readonly", "-separator", "\t", str(path), select]
        found["sqlite3 shell, -json"] = [sqlite3_shell, "-readonly", "-json", str(path), select]
    found["python sqlite3 rows, streamed"] = [sys.executable, "-c", _PYTHON_PEER.format(select=select), str(path)]
    return found


def spread(values: list[float]) -> str:
    return f"{min(values):6.2f} {statistics.median(values):6.2f} {max(values):6.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workbook", type=Path, help="list this workbook instead of the synthetic one")
    parser.add_argument("--small-rows", type=int, help="rows of the workbook for the growth check (N/10)")
    args = parser.parse_args(argv)

    path = args.workbook or workbook(args.rows)
    small_rows = args.small_rows or max(1, args.rows // 10)
    small = workbook(small_rows)
    runs = commands(path)
    for command in runs.values():
        timed(command)  # warm-up: page cache and bytecode
    seconds: dict[str, list[float]] = {name: [] for name in runs}
    peaks: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(args.runs):
        for name, command in runs.items():
            elapsed, peak = timed(command)
            seconds[name].append(elapsed)
            if peak is not None:
                peaks[name].append(peak)
    small_peaks = {name: timed(command)[1] for name, command in commands(small).items() if name in LISTINGS}

    print(f"{path.name}: {args.runs} runs each (round-robin, after one warm-up): min / median / max seconds, "
          "peak MB (median)")
    medians = {name: statistics.median(values) for name, values in seconds.items()}
    for name in runs:
        peak = f"   peak {statistics.median(peaks[name]):6.0f} MB" if peaks[name] else ""
        print(f"  {name:<32} {spread(seconds[name])}{peak}")
    ok = True
    for name in LISTINGS:  # each against the peers writing the same layout, and the Python row loop
        layout = "-json" if "--json" in name else "tab-separated"
        peers = [peer for peer in runs if peer not in LISTINGS and (peer.endswith(layout) or peer.startswith("python"))]
        ratios = ", ".join(f"x{medians[name] / medians[peer]:.2f} {peer}" for peer in peers)
        peak, small_peak = statistics.median(peaks[name]), small_peaks[name]
        met = peak < PEAK_MB and peak - small_peak <= GROWTH_MB
        ok = ok and met
        print(f"{name}: median {medians[name]:.2f} s ({ratios}); peak {peak:.0f} MB on {path.name}, "
              f"{small_peak:.0f} MB at {small_rows:,} rows; target < {PEAK_MB:.0f} MB and "
              f"<= {GROWTH_MB:.0f} MB growth: {'met' if met else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
