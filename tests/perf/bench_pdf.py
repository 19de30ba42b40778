"""Benchmark: the PDF memo of the sample workbook, warm and in-process, against plain WeasyPrint.

Run: `.venv/bin/python tests/perf/bench_pdf.py [--repeat K] [--workbook W]` (not collected by pytest); with
`--workbook`, the memo of that workbook instead of the sample's (a million trace rows in thousands of
configurations: the gate then covers drawing the charts too, which at that size was most of the time).

- ours: `desktop.exports.pdf.export_pdf` with the memo's charts already rendered (view-model, jinja2,
  WeasyPrint layout, PDF/A-3u with tags, two attachments, atomic write), median of K warm runs;
- ours + charts: the same plus drawing the two charts as SVG (reported; gated with --workbook);
- peer: WeasyPrint rendering the same HTML without the charts (same stylesheet and bundled fonts, default
  options: no PDF/A, no tags, no attachments) to bytes.
Exit status 1 when ours is slower than 1.5x the peer.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "exports"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

LIMIT = 1.5


def timed(function, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--workbook", type=Path, help="a workbook to export instead of the sample")
    args = parser.parse_args(argv)

    from export_helpers import export_data, new_sample
    from weasyprint import HTML

    from desktop.services.exports import memo_charts
    from desktop.exports.pdf import export_pdf, make_fetcher, memo_assets, memo_context, render_memo_html

    with tempfile.TemporaryDirectory(prefix="ipw-bench-") as tmp:
        folder = Path(tmp)
        os.environ["IPW_USER_DATA_DIR"] = str(folder / "user")
        os.environ["IPW_USER_CONFIG_DIR"] = str(folder / "config")
        path = args.workbook.resolve() if args.workbook else new_sample(folder / "sample.ipwb")
        data = export_data(path)
        charts, problem = memo_charts(data)
        if problem or len(charts) != 2:
            print(f"charts: {problem or len(charts)}")

        html_plain = render_memo_html(memo_context(data, (), "a4"))
        html_plain = re.sub(r"<figure>.*?</figure>", "", html_plain, flags=re.S)

        def ours() -> None:
            export_pdf(folder / "memo.pdf", data, charts=charts)

        def ours_with_charts() -> None:
            drawn, _ = memo_charts(data)
            export_pdf(folder / "memo-charts.pdf", data, charts=drawn)

        def peer() -> None:
            HTML(string=html_plain, base_url=None, url_fetcher=make_fetcher(memo_assets())).write_pdf()

        for warm in (ours, peer, ours_with_charts):  # warm caches, fonts and imports
            warm()
        # Round-robin, so a machine that gets busier or quieter during the run affects all three alike.
        t_ours, t_peer, t_charts = [], [], []
        for _ in range(args.repeat):
            t_ours += timed(ours, 1)
            t_peer += timed(peer, 1)
            t_charts += timed(ours_with_charts, 1)
        pages = len(__import__("pypdf").PdfReader(str(folder / "memo.pdf")).pages)
        size = (folder / "memo.pdf").stat().st_size

    m_ours, m_peer, m_charts = (statistics.median(t) for t in (t_ours, t_peer, t_charts))
    print(f"memo: {pages} pages, {size / 1e3:.0f} kB")
    print(f"ours  export_pdf, charts pre-rendered (PDF/A-3u, tags, attachments): median {m_ours:.2f} s "
          f"{[round(t, 2) for t in t_ours]}")
    print(f"ours  including drawing the two charts (SVG):                         median {m_charts:.2f} s")
    print(f"peer  WeasyPrint, same HTML without charts, default options:          median {m_peer:.2f} s "
          f"{[round(t, 2) for t in t_peer]}")
    gated = t_charts if args.workbook else t_ours
    ratio = statistics.median(o / p for o, p in zip(gated, t_peer))
    print(f"ratio ours{' with chart drawing' if args.workbook else ''} / peer (median of the paired runs) = "
          f"{ratio:.2f} (limit {LIMIT}); of the medians {m_ours / m_peer:.2f}; with chart drawing "
          f"{m_charts / m_peer:.2f}")
    return 0 if ratio <= LIMIT else 1


if __name__ == "__main__":
    sys.exit(main())
