"""Benchmark: the Excel export of a workbook with 100,000 trace rows against peers writing the same cells.

(The scale benchmark of issue 16, up to a million rows against a plain xlsxwriter dump, is bench_excel_scale.)

Run: `.venv/bin/python tests/perf/bench_excel.py [--rows N] [--repeat K]` (not collected by pytest).

- ours: `desktop.exports.excel.export_xlsx` from gathered export data (formats, table, chart, formulas,
  hidden content sheet), median of K runs;
- peer 1 (the issue's yardstick): openpyxl `Workbook(write_only=True)` appending exactly the cells ours wrote
  (values, formulas as text starting with '=', no formatting);
- peer 2: xlsxwriter in constant-memory mode writing the same cells without formats.
The cells are captured by recording every write ours makes, so all three write the same sheets and cells.
Exit status 1 when ours is slower than 1.5x peer 1.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "exports"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

LIMIT = 1.5


def make_workbook(folder: Path, rows: int) -> Path:
    from export_helpers import add_rows, base_row, new_sample

    path = new_sample(folder / "big.ipwb")
    routes = [("Managed frontier API", "OpenAI", "frontier-model"), ("Dedicated endpoint", "Fireworks", "dedicated"),
              ("Hosted open-weight serverless", "Together AI", "open-weight"),
              ("Self-hosted GPU stack", "vLLM", "self-hosted")]
    workloads = ["coding-agent-maintenance", "invoice-review", "support-policy"]
    batch = []
    for i in range(rows):
        route, provider, model = routes[i % 4]
        batch.append(base_row(route=route, provider=provider, model=model, workload=workloads[i % 3],
                              inputTokens=1000 + i % 5000, outputTokens=200 + i % 900, concurrency=1 + i % 64,
                              latencyP95Ms=4000 + (i * 37) % 30000, costUsd=0.001 * (1 + i % 97),
                              acceptedOutputRate=0.5 + (i % 50) / 100, reviewMinutes=(i % 7) * 0.5))
        if len(batch) == 50_000:
            add_rows(path, batch)
            batch = []
    if batch:
        add_rows(path, batch)
    return path


class Recorder:
    """Records every cell write ours makes, per sheet, in order."""

    def __init__(self) -> None:
        self.cells: dict[str, list[tuple[int, int, object]]] = defaultdict(list)
        self.order: list[str] = []

    def install(self):
        from xlsxwriter import worksheet

        originals = {}
        recorder = self

        def wrap(name, value_index):
            original = getattr(worksheet.Worksheet, name)
            originals[name] = original

            def method(ws, row, col, *args, **kwargs):
                if ws.name not in recorder.cells:
                    recorder.order.append(ws.name)
                value = args[value_index] if len(args) > value_index else None
                if name in ("_write_formula", "_write_array_formula"):
                    value = value if str(value).startswith("=") else "=" + str(value)
                recorder.cells[ws.name].append((row, col, value))
                return original(ws, row, col, *args, **kwargs)
            setattr(worksheet.Worksheet, name, method)

        # The undecorated writers: the public ones call them, and the export's hot loop calls them directly.
        for name in ("_write_string", "_write_number", "_write_boolean", "_write_formula"):
            wrap(name, 0)
        wrap("_write_array_formula", 2)  # (first_row, first_col, last_row, last_col, formula, ...)
        return lambda: [setattr(worksheet.Worksheet, n, f) for n, f in originals.items()]


def peer_openpyxl(path: Path, recorder: Recorder) -> None:
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    for name in recorder.order:
        ws = book.create_sheet(name)
        by_row: dict[int, dict[int, object]] = defaultdict(dict)
        for row, col, value in recorder.cells[name]:
            by_row[row][col] = value
        last = -1
        for row in sorted(by_row):
            for _ in range(row - last - 1):
                ws.append([])
            cells = by_row[row]
            ws.append([cells.get(c) for c in range(max(cells) + 1)])
            last = row
    book.save(path)


def peer_xlsxwriter(path: Path, recorder: Recorder) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False,
                                           "strings_to_numbers": False, "strings_to_urls": False})
    for name in recorder.order:
        ws = book.add_worksheet(name)
        cells = {(row, col): value for row, col, value in recorder.cells[name]}  # the last write of a cell wins
        for (row, col), value in sorted(cells.items()):
            if isinstance(value, bool):
                ws.write_boolean(row, col, value)
            elif isinstance(value, (int, float)):
                ws.write_number(row, col, value)
            elif isinstance(value, str) and value.startswith("="):
                ws.write_formula(row, col, value)
            elif value is not None:
                ws.write_string(row, col, value)
    book.close()


def timed(function, *args, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function(*args)
        times.append(time.perf_counter() - start)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    from desktop.cli.common import reading
    from desktop.exports.excel import export_xlsx
    from desktop.exports.matrix import gather
    from desktop.resources import playbook

    with tempfile.TemporaryDirectory(prefix="ipw-bench-") as tmp:
        folder = Path(tmp)
        os.environ["IPW_USER_DATA_DIR"] = str(folder / "user")
        os.environ["IPW_USER_CONFIG_DIR"] = str(folder / "config")
        start = time.perf_counter()
        path = make_workbook(folder, args.rows)
        print(f"workbook with {args.rows:,} trace rows built in {time.perf_counter() - start:.1f} s")
        start = time.perf_counter()
        with reading(path) as (store, workbook):
            data = gather(store, workbook, playbook())
        gather_s = time.perf_counter() - start

        recorder = Recorder()
        restore = recorder.install()
        try:
            export_xlsx(folder / "record.xlsx", data)
        finally:
            restore()
        cells = sum(len(v) for v in recorder.cells.values())

        # Round-robin, so a machine that gets busier or quieter during the run affects all three alike.
        ours, openpyxl_wo, xlsxwriter_cm = [], [], []
        for _ in range(args.repeat):
            ours += timed(lambda: export_xlsx(folder / "ours.xlsx", data), repeat=1)
            openpyxl_wo += timed(lambda: peer_openpyxl(folder / "openpyxl.xlsx", recorder), repeat=1)
            xlsxwriter_cm += timed(lambda: peer_xlsxwriter(folder / "xlsxwriter.xlsx", recorder), repeat=1)
        size = (folder / "ours.xlsx").stat().st_size

    m_ours, m_op, m_xw = (statistics.median(t) for t in (ours, openpyxl_wo, xlsxwriter_cm))
    print(f"cells written: {cells:,} in {len(recorder.order)} sheets; file {size / 1e6:.1f} MB")
    print(f"gather (read rows, metrics, recommendation, content hash): {gather_s:.2f} s (not in the ratio)")
    print(f"ours   export_xlsx (xlsxwriter constant_memory, formats): median {m_ours:.2f} s  {ours}")
    print(f"peer 1 openpyxl write-only, same cells:                   median {m_op:.2f} s  {openpyxl_wo}")
    print(f"peer 2 xlsxwriter constant_memory, same cells, no formats: median {m_xw:.2f} s  {xlsxwriter_cm}")
    ratio = statistics.median(o / p for o, p in zip(ours, openpyxl_wo))
    print(f"ratio ours / openpyxl write-only (median of the paired runs) = {ratio:.2f} (limit {LIMIT}); of the "
          f"medians {m_ours / m_op:.2f}; ours / xlsxwriter = {m_ours / m_xw:.2f}")
    return 0 if ratio <= LIMIT else 1


if __name__ == "__main__":
    sys.exit(main())
