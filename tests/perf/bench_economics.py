"""Benchmark: `ipw metrics --summary --json`, `ipw recommend` and `ipw plan` on a workbook of a million trace rows.

Run: `.venv/bin/python -m tests.perf.bench_economics [--rows N] [--repeat K] [--reference-rows M]`
(not collected by pytest; IPW_BENCH_ROWS sets the default size).

- ours: each command in a fresh process (`python -m desktop ...`), wall time and peak resident memory;
- peer (same run, same machine, round-robin with ours): a fresh process that reads the same trace columns of the
  same file with `polars.read_database` over plain sqlite3 and groups them once, the least any answer costs;
  and `python -c pass`, the interpreter's own start;
- reference (information): the per-row `compute_metrics` over `iter_traces` row dicts against the columnar
  `compute_metrics_frame` over `read_trace_frame`, in this process, at --reference-rows rows.
Targets: every command's median under 3 s and its peak under 1 GiB; exit status 1 when one is missed.
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

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.perf.data import CACHE, trace_csv  # noqa: E402

TARGET_SECONDS = 3.0
TARGET_MIB = 1024.0
COMMANDS = {"metrics --summary --json": ["metrics", "{path}", "--summary", "--json"],
            "recommend": ["recommend", "{path}"], "plan": ["plan", "{path}"]}
PEER = """
import sqlite3, sys, polars as pl
from desktop.domain.trace import FIELD_NAMES
connection = sqlite3.connect(sys.argv[1])
columns = ", ".join(f'"{name}"' for name in ("id", *FIELD_NAMES))
frame = pl.read_database(f"SELECT {columns} FROM traces WHERE active = 1 ORDER BY id", connection)
frame.group_by("workload", "route", "provider", "model").agg(pl.len(), pl.col("costUsd").min())
"""


def workbook(rows: int) -> Path:
    """A sample workbook with `rows` trace rows from the shared synthetic CSV, built once and cached."""
    path = CACHE / f"economics_{rows}.ipwb"
    if path.exists():
        return path
    csv = trace_csv(rows)
    partial = path.with_suffix(".partial.ipwb")
    partial.unlink(missing_ok=True)
    for command in (["new", str(partial), "--sample"], ["import", str(partial), str(csv)]):
        subprocess.run([sys.executable, "-m", "desktop", *command], check=True, cwd=ROOT, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    partial.rename(path)
    return path


def run(argv: list[str]) -> tuple[float, float]:
    """(wall seconds, peak resident MiB) of one fresh process."""
    start = time.perf_counter()
    process = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {process.stderr.read().decode(errors='replace')[-2000:]}")
    return seconds, usage.ru_maxrss / 1024


def spread(values: list[float]) -> str:
    return f"min {min(values):.2f} / median {statistics.median(values):.2f} / max {max(values):.2f}"


def reference_comparison(rows: int) -> None:
    from desktop.cli.common import reading
    from desktop.economics.metrics import compute_metrics
    from desktop.economics.metrics_frame import compute_metrics_frame
    from desktop.storage.trace_frame import read_trace_frame

    with reading(workbook(rows)) as (store, _):
        start = time.perf_counter()
        reference = compute_metrics(store.iter_traces(), 60.0, 20_000.0)
        per_row = time.perf_counter() - start
        start = time.perf_counter()
        columnar = compute_metrics_frame(read_trace_frame(store).rechunk(), 60.0, 20_000.0)
        frame_s = time.perf_counter() - start
    same = (reference.groups, reference.workloads, reference.best, reference.routes) == (
        columnar.groups, columnar.workloads, columnar.best, columnar.routes)
    print(f"reference at {rows:,} rows: per-row compute_metrics over iter_traces {per_row:.2f} s; columnar "
          f"read_trace_frame + compute_metrics_frame {frame_s:.2f} s (x{per_row / frame_s:.1f}); "
          f"groups, workloads, best, routes identical: {same}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=int(os.environ.get("IPW_BENCH_ROWS", 1_000_000)))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--reference-rows", type=int, default=100_000, help="0 leaves the comparison out")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="ipw-bench-") as tmp:
        os.environ["IPW_USER_DATA_DIR"] = str(Path(tmp) / "user")
        os.environ["IPW_USER_CONFIG_DIR"] = str(Path(tmp) / "config")
        start = time.perf_counter()
        path = workbook(args.rows)
        print(f"workbook {path} with {args.rows:,} trace rows ready in {time.perf_counter() - start:.1f} s")
        python = [sys.executable]
        measured: dict[str, list[tuple[float, float]]] = {name: [] for name in (*COMMANDS, "peer", "start")}
        for _ in range(args.repeat):  # round-robin: a machine getting busier or quieter affects all alike
            for name, command in COMMANDS.items():
                measured[name].append(run([*python, "-m", "desktop", *(a.format(path=path) for a in command)]))
            measured["peer"].append(run([*python, "-c", PEER, str(path)]))
            measured["start"].append(run([*python, "-c", "pass"]))

    peer_s = statistics.median(s for s, _ in measured["peer"])
    peer_mib = statistics.median(m for _, m in measured["peer"])
    print(f"{'peer: polars.read_database + one group_by':44} seconds {spread([s for s, _ in measured['peer']])}; "
          f"peak MiB {spread([m for _, m in measured['peer']])}")
    print(f"{'python -c pass':44} seconds {spread([s for s, _ in measured['start']])}")
    missed = []
    for name in COMMANDS:
        seconds = [s for s, _ in measured[name]]
        mib = [m for _, m in measured[name]]
        print(f"{'ipw ' + name:44} seconds {spread(seconds)} (x{statistics.median(seconds) / peer_s:.2f} peer); "
              f"peak MiB {spread(mib)} (x{statistics.median(mib) / peer_mib:.2f} peer)")
        if statistics.median(seconds) >= TARGET_SECONDS:
            missed.append(f"ipw {name}: median {statistics.median(seconds):.2f} s, target < {TARGET_SECONDS} s")
        if max(mib) >= TARGET_MIB:
            missed.append(f"ipw {name}: peak {max(mib):.0f} MiB, target < {TARGET_MIB:.0f} MiB")
    if args.reference_rows:
        reference_comparison(args.reference_rows)
    for line in missed:
        print("MISSED:", line)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
