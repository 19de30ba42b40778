"""Peak memory of refusing each amplifying file of issue 15 (target: under 300 MB each).

Each refusal runs `parse_source` in a fresh interpreter and reports its peak resident memory (VmHWM), and
the same for a fresh interpreter that only imports the importer (the floor every import pays).

Run: .venv/bin/python -m tests.perf.bench_amplification [one-line-MiB]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from tests.perf import hostile_files
from tests.perf.timing import peak_rss_mib

_REFUSE = """
from desktop.importers import parse_source
from desktop.importers.result import ImportFailed
try:
    parse_source({path!r})
    raise SystemExit("NOT REFUSED")
except ImportFailed as failure:
    print(failure)
"""


def main(one_line_mib: int = 2048) -> None:
    with tempfile.TemporaryDirectory(prefix="ipw-amplification-") as folder:
        root = Path(folder)
        files = {
            "CSV, 100,000 columns": hostile_files.wide_csv(root / "wide100k.csv", 100_000),
            "CSV, 30,000 columns": hostile_files.wide_csv(root / "wide30k.csv", 30_000),
            f"CSV, one {one_line_mib:,} MiB line": hostile_files.one_line_csv(root / "one-line.csv",
                                                                            one_line_mib * 1024 * 1024),
            "ODS, number-rows-repeated=1048575": hostile_files.ods_repeated_rows(root / "rows.ods"),
            "ODS, number-columns-repeated=16384": hostile_files.ods_repeated_columns(root / "columns.ods"),
            "XLSX, a cell at XFD1048576": hostile_files.xlsx_far_cell(root / "far.xlsx"),
        }
        floor = peak_rss_mib("import desktop.importers")
        print(f"peak memory of a refused import (fresh interpreter; importing the importer alone: {floor:.0f} MiB)")
        for label, path in files.items():
            peak = peak_rss_mib(_REFUSE.format(path=str(path)))
            size = path.stat().st_size
            shown = f"{size / 1024 ** 2:,.1f} MiB" if size > 1024 ** 2 else f"{size / 1024:,.1f} KiB"
            print(f"  {label:<38} {shown:>12}  peak {peak:6.0f} MiB")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
