"""Issue 15, failure 4: small files that cost huge memory are refused before parsing, in one line.

Before: a 1.3 MB CSV with 100k columns passed 12 GiB, 30k columns 6 GiB, a 2 GB one-line CSV over 8 GiB, and a
1.1 KB ODS with number-rows-repeated="1048575" imported 1,048,575 rows in 2.4 GiB. The files are written by
tests/perf/hostile_files.py; the peak memory of each refusal is measured in a fresh interpreter (VmHWM).
"""

import pytest

from desktop.importers import parse_source
from desktop.importers.preflight import Limits
from desktop.importers.result import ImportFailed
from tests.perf import hostile_files
from tests.perf.timing import peak_rss_mib

PEAK_LIMIT_MIB = 300


def refusal(path, **kwargs):
    with pytest.raises(ImportFailed) as failure:
        parse_source(path, **kwargs)
    message = str(failure.value)
    assert "\n" not in message
    return message


def peak_of_refusal(path):
    return peak_rss_mib(
        "from desktop.importers import parse_source\nfrom desktop.importers.result import ImportFailed\n"
        f"try:\n    parse_source({str(path)!r})\n    raise SystemExit('NOT REFUSED')\nexcept ImportFailed:\n    pass")


@pytest.mark.parametrize("columns", [100_000, 30_000])
def test_wide_csv_is_refused_with_little_memory(tmp_path, columns):
    path = hostile_files.wide_csv(tmp_path / "wide.csv", columns)
    assert f"the header row has {columns + 16:,} columns, more than 1,000" in refusal(path)
    assert peak_of_refusal(path) < PEAK_LIMIT_MIB


def test_one_line_csv_is_refused_while_streaming(tmp_path):
    path = hostile_files.one_line_csv(tmp_path / "one-line.csv", 40 * 1024 * 1024)
    assert "line 2 is longer than 16 MiB" in refusal(path)
    assert peak_of_refusal(path) < PEAK_LIMIT_MIB


def test_line_limit_counts_across_chunk_boundaries(tmp_path):
    """Lines of 5 MiB (each spanning a 4 MiB chunk boundary) pass a 16 MiB limit and fail a 4 MiB one."""
    from desktop.importers.amplification import check_line_lengths
    path = tmp_path / "long-lines.csv"
    path.write_bytes((b"y" * (5 * 1024 * 1024) + b"\n") * 3)
    check_line_lengths(path, path.name, 16 * 1024 * 1024)
    with pytest.raises(ImportFailed, match="line 1 is longer than 4 MiB"):
        check_line_lengths(path, path.name, 4 * 1024 * 1024)


def test_ods_row_repeat_is_counted_without_expanding(tmp_path):
    path = hostile_files.ods_repeated_rows(tmp_path / "rows.ods")
    assert path.stat().st_size < 1100
    message = refusal(path)
    assert "repeats its rows and cells to 16,777,216 values" in message  # 1,048,576 rows x 16 cells
    assert peak_of_refusal(path) < PEAK_LIMIT_MIB


def test_ods_with_a_few_repeated_rows_still_imports(tmp_path):
    path = hostile_files.ods_repeated_rows(tmp_path / "rows.ods", repeat=3)
    parsed = parse_source(path)
    assert parsed.rows_read == 3 and parsed.rows_valid == 3


def test_ods_column_repeat_is_refused(tmp_path):
    path = hostile_files.ods_repeated_columns(tmp_path / "columns.ods")
    assert "reaches column 16,399, more than 1,000" in refusal(path)


def test_xlsx_cell_far_away_is_refused(tmp_path):
    path = hostile_files.xlsx_far_cell(tmp_path / "far.xlsx")
    assert "reaches column 16,384, more than 1,000" in refusal(path)
    assert peak_of_refusal(path) < PEAK_LIMIT_MIB


def test_row_limit_counts_ods_repeats(tmp_path):
    path = hostile_files.ods_repeated_rows(tmp_path / "rows.ods", repeat=50)
    assert "reaches row 51, more than 40 rows" in refusal(path, limits=Limits(max_sheet_rows=40))


def test_ragged_rows_wider_than_the_limit_are_refused(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text(f"{hostile_files.TRACE_HEADER}\n{hostile_files.TRACE_ROW}\n{hostile_files.TRACE_ROW}"
                    + ",1" * 5000 + "\n")
    assert "line 3 has 5,016 columns, more than 1,000" in refusal(path)
