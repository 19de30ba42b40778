"""100,000-row XLSX: parse + validate against python-calamine's raw read of the same file (target <= 1.5x).

Run: .venv/bin/python -m tests.perf.bench_import_xlsx [rows]
"""

from __future__ import annotations

import sys

from python_calamine import CalamineWorkbook

from desktop.importers import parse_source
from tests.perf.data import trace_xlsx
from tests.perf.timing import median_seconds, peak_rss_mib


def main(rows: int = 100_000, runs: int = 5) -> None:
    path = trace_xlsx(rows)
    parse_source(path)
    peer = median_seconds(lambda: CalamineWorkbook.from_path(path).get_sheet_by_index(0).to_python(), runs)
    ours = median_seconds(lambda: parse_source(path), runs)
    parsed = parse_source(path)
    assert parsed.rows_valid == rows and not parsed.problems, parsed.problem_lines()[:5]
    memory = peak_rss_mib(f"from desktop.importers import parse_source; parse_source({str(path)!r})")
    print(f"trace XLSX, {rows:,} rows, {path.stat().st_size / 1024 ** 2:,.1f} MiB, median of {runs} runs")
    print(f"  calamine to_python alone       {peer:7.3f} s")
    print(f"  parse_source (parse+validate)  {ours:7.3f} s   ratio {ours / peer:.2f}x  (target <= 1.5x)")
    print(f"  peak RSS of parse_source       {memory:7.0f} MiB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
