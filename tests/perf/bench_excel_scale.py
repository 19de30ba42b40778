"""Benchmark: the Excel export at scale (issue 16 item 6) against a plain xlsxwriter dump of the same cells.

Run: `.venv/bin/python -m tests.perf.bench_excel_scale [--rows N] [--runs K] [--no-peak]` (not collected by
pytest). Defaults: 100,000 rows, 5 runs; at 1,000,000 rows one run (`--runs 1`) takes some ten minutes.

- ours: `desktop.exports.excel.export_xlsx` from gathered export data: every sheet, formats, tables, the
  per-row metrics computed column-wise, the aggregate formulas, the chart and the hidden content sheet;
- peer: xlsxwriter in constant-memory mode dumping the same trace and per-row metric cells (the trace frame
  and the per-row metric values handed to it ready-made, one public write_* call per cell, no formats);
- peak RSS: `ipw export FILE --xlsx OUT` in a fresh process (reading, economics, content hash and export).
Ours and the peer run round-robin, so a machine that gets busier or quieter affects both alike; the ratio is
the median of the paired runs. Exit status 1 when ours is slower than 1.5x the peer or peaks at 1 GB or more.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from tests.perf.data import trace_csv
from tests.perf.timing import peak_rss_mib

TIME_LIMIT = 1.5
MEMORY_LIMIT_MIB = 1024


def make_workbook(folder: Path, rows: int) -> Path:
    from desktop.cli import main

    path = folder / f"traces-{rows}.ipwb"
    with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
        assert main(["new", str(path), "--sample"]) == 0
        assert main(["import", str(path), str(trace_csv(rows))]) == 0
    return path


def peer_dump(path: Path, sheets: list[tuple[str, object, int]]) -> None:
    """xlsxwriter, constant memory, the same cells: each (sheet, frame, first column) from row 5 down."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False,
                                           "strings_to_numbers": False, "strings_to_urls": False,
                                           "use_zip64": True})
    for name, frame, first_col in sheets:
        ws = book.add_worksheet(name)
        ws.write_row(3, first_col, frame.columns)
        for r, values in enumerate(frame.iter_rows(), start=4):
            for c, value in enumerate(values, start=first_col):
                if value is None:
                    continue
                if isinstance(value, bool):
                    ws.write_boolean(r, c, value)
                elif isinstance(value, (int, float)):
                    ws.write_number(r, c, value)
                else:
                    ws.write_string(r, c, value)
    book.close()


def peer_sheets(data) -> list[tuple[str, object, int]]:
    from desktop.domain.trace import FIELD_NAMES
    from desktop.exports.excel_rows import METRIC_COLUMNS, aggregate_keys, measured_columns, metric_frame

    keys = aggregate_keys(data.metrics, data.playbook)
    measured = measured_columns(data.metrics, data.frame, data.decision.modelled)
    metrics = metric_frame(data.frame, measured, keys).select(METRIC_COLUMNS)
    return [("Traces", data.frame.select("id", "importId", *FIELD_NAMES), 0), ("Metrics", metrics, 20)]


def spread(times: list[float]) -> str:
    return f"min {min(times):.2f}  median {statistics.median(times):.2f}  max {max(times):.2f} s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-peak", action="store_true", help="skip the fresh-process peak memory run")
    args = parser.parse_args(argv)

    from desktop.cli.common import reading
    from desktop.exports.excel import export_xlsx
    from desktop.exports.matrix import gather
    from desktop.resources import playbook

    with tempfile.TemporaryDirectory(prefix="ipw-bench-xlsx-") as tmp:
        folder = Path(tmp)
        os.environ["IPW_USER_DATA_DIR"] = str(folder / "user")
        os.environ["IPW_USER_CONFIG_DIR"] = str(folder / "config")
        start = time.perf_counter()
        path = make_workbook(folder, args.rows)
        print(f"workbook with {args.rows:,} trace rows (and the sample's) built in {time.perf_counter() - start:.1f} s")
        start = time.perf_counter()
        with reading(path) as (store, workbook):
            data = gather(store, workbook, playbook())
        print(f"gather (read rows, economics, content hash): {time.perf_counter() - start:.2f} s (not in the ratio)")
        sheets = peer_sheets(data)
        cells = sum(frame.height * frame.width - frame.null_count().sum_horizontal().item() for _, frame, _ in sheets)

        ours, peer = [], []
        for _ in range(args.runs):
            start = time.perf_counter()
            export_xlsx(folder / "ours.xlsx", data)
            ours.append(time.perf_counter() - start)
            start = time.perf_counter()
            peer_dump(folder / "peer.xlsx", sheets)
            peer.append(time.perf_counter() - start)
        sizes = [(folder / name).stat().st_size / 1e6 for name in ("ours.xlsx", "peer.xlsx")]
        del data, sheets

        peak = None
        if not args.no_peak:
            code = (f"import os; os.environ['IPW_USER_DATA_DIR'] = {str(folder / 'user')!r}; "
                    f"os.environ['IPW_USER_CONFIG_DIR'] = {str(folder / 'config')!r}\n"
                    "import contextlib, time\nfrom desktop.cli import main\nstart = time.perf_counter()\n"
                    "with open(os.devnull, 'w') as quiet, contextlib.redirect_stdout(quiet):\n"
                    f"    assert main(['export', {str(path)!r}, '--xlsx', {str(folder / 'cli.xlsx')!r}]) == 0\n"
                    "print(time.perf_counter() - start)")
            start = time.perf_counter()
            peak = peak_rss_mib(code)
            print(f"ipw export --xlsx in a fresh process: {time.perf_counter() - start:.1f} s wall (with start-up)")

    ratio = statistics.median(o / p for o, p in zip(ours, peer))
    print(f"{args.rows:,} trace rows: {cells:,} trace and per-row metric cells; files ours {sizes[0]:.1f} MB, "
          f"peer {sizes[1]:.1f} MB; {args.runs} run(s) each, round-robin")
    print(f"  ours export_xlsx (every sheet, formats, formulas):  {spread(ours)}")
    print(f"  peer xlsxwriter constant_memory, same cells:       {spread(peer)}")
    print(f"  ratio ours / peer (median of paired runs) = {ratio:.2f}  (target <= {TIME_LIMIT})")
    ok = ratio <= TIME_LIMIT
    if peak is not None:
        print(f"  peak RSS of `ipw export --xlsx` (fresh process) = {peak:,.0f} MiB  (target < {MEMORY_LIMIT_MIB})")
        ok = ok and peak < MEMORY_LIMIT_MIB
    print("PASS" if ok else "MISS")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
