"""Parquet, Arrow IPC and .gz/.zst inputs import exactly like the CSV/JSON they hold, with the same checks."""

import gzip
import io
from pathlib import Path

import polars as pl
import pytest
import zstandard

from desktop.importers import ImportFailed, parse_source

LANE = {"batchEligible": "false", "reviewMinutes": ""}
REAL = Path(__file__).resolve().parents[1] / "fixtures" / "importers" / "real"


def same_rows(a, b):
    assert a.ok == b.ok and a.rows_valid == b.rows_valid
    assert a.valid.drop("extras").equals(b.valid.drop("extras"))


@pytest.mark.parametrize("writer", ["parquet", "arrow"])
def test_request_log_in_a_columnar_file_aggregates_like_the_csv(fixture, tmp_path, writer):
    csv = parse_source(fixture("requests.csv"), set_values=LANE)
    frame = pl.read_csv(fixture("requests.csv"))
    path = tmp_path / "log.bin"  # the name says nothing: the first bytes do
    frame.write_parquet(path) if writer == "parquet" else frame.write_ipc(path)
    parsed = parse_source(path, set_values=LANE)
    assert parsed.format == "requests"
    same_rows(parsed, csv)
    assert parsed.notes[0].startswith("read from Parquet (6 records" if writer == "parquet"
                                      else "read from Arrow IPC (6 records")
    assert "prompt" in parsed.dropped_columns  # text columns are still left out for privacy


def test_trace_table_in_parquet_with_a_bad_cell_reports_the_record(tmp_path):
    from desktop.resources import playbook
    rows = [dict(r) for r in playbook().template_rows]
    rows[1]["inputTokens"] = "-5"
    path = tmp_path / "traces.parquet"
    pl.DataFrame(rows).write_parquet(path)
    parsed = parse_source(path)
    assert parsed.format == "parquet" and parsed.rows_valid == len(rows) - 1
    assert [(p.row, p.column, p.reason) for p in parsed.problems] == [(2, "inputTokens", "must not be negative")]


@pytest.mark.parametrize("compress", ["gzip", "zstd"])
def test_compressed_csv_and_jsonl_read_as_the_file_inside(fixture, tmp_path, compress):
    pack = gzip.compress if compress == "gzip" else zstandard.ZstdCompressor().compress
    for name in ("requests.csv", "requests.jsonl"):
        plain = parse_source(fixture(name), set_values=LANE)
        packed = tmp_path / (name + (".gz" if compress == "gzip" else ".zst"))
        packed.write_bytes(pack(fixture(name).read_bytes()))
        parsed = parse_source(packed, set_values=LANE)
        same_rows(parsed, plain)
        assert parsed.notes[0].startswith(f"decompressed from {compress} (")
        assert parsed.sha256 != plain.sha256  # provenance: the bytes received


def test_compressed_per_request_file_still_finds_the_tools_summary_beside_it(tmp_path):
    folder = REAL / "aiperf-0.13.0" / "c2"
    (tmp_path / "profile_export_aiperf.json").write_bytes((folder / "profile_export_aiperf.json").read_bytes())
    packed = tmp_path / "profile_export.jsonl.gz"
    packed.write_bytes(gzip.compress((folder / "profile_export.jsonl").read_bytes()))
    values = {"route": "Dedicated endpoint", "provider": "p", "workload": "w", "batchEligible": "false",
              "acceptedOutputRate": "", "costUsd": "", "reviewMinutes": ""}
    (row,) = parse_source(packed, set_values=values).preview()
    assert (row["model"], row["concurrency"]) == ("mock-llm", 2.0)
    assert row["latencyP50Ms"] == pytest.approx(199.77, abs=0.006)  # the README's value


def test_damaged_bombs_and_non_tables_are_one_line_refusals(tmp_path):
    broken = tmp_path / "x.gz"
    broken.write_bytes(gzip.compress(b"a,b\n1,2\n" * 100)[:-30])
    with pytest.raises(ImportFailed, match="damaged gzip file"):
        parse_source(broken)
    bomb = tmp_path / "bomb.zst"
    bomb.write_bytes(zstandard.ZstdCompressor(level=19).compress(b"0" * (1100 * 1024 * 1024)))
    with pytest.raises(ImportFailed, match="expands to more than 1,024 MiB"):
        parse_source(bomb)
    twice = tmp_path / "twice.gz"
    twice.write_bytes(gzip.compress(gzip.compress(b"route,provider\n")))
    with pytest.raises(ImportFailed, match="compressed twice"):
        parse_source(twice)
    other = tmp_path / "other.parquet"
    pl.DataFrame({"city": ["Oslo"], "population": [700000]}).write_parquet(other)
    with pytest.raises(ImportFailed, match="name neither a trace table"):
        parse_source(other)
    not_parquet = tmp_path / "cut.parquet"
    buffer = io.BytesIO()
    pl.DataFrame({"a": [1]}).write_parquet(buffer)
    not_parquet.write_bytes(buffer.getvalue()[:20])
    with pytest.raises(ImportFailed, match="not a readable Parquet file"):
        parse_source(not_parquet)
