"""The contract storage, the GUI and the CLI rely on: ParsedSource, Problem, progress, cancel, layering."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import pytest

from desktop.domain.progress import Cancelled
from desktop.domain.trace import FIELD_NAMES
from desktop.importers import (
    FORMATS, OUTPUT_COLUMNS, ImportFailed, ParsedSource, Problem, parse_source,
)
from desktop.importers import tabular
from tests.importers.conftest import kit_csv, row


def test_output_columns_are_the_trace_fields_then_extras_and_defaulted():
    assert OUTPUT_COLUMNS == (*FIELD_NAMES, "extras", "defaulted")


def test_formats_cover_every_source_kind():
    assert FORMATS == ("auto", "csv", "tsv", "xlsx", "ods", "vllm", "llmperf", "sglang", "genai-perf", "aiperf",
                       "guidellm", "inference-perf", "requests")


def test_parsed_source_carries_provenance(write):
    path = write("traces.csv", kit_csv([row(), row(outputTokens="-1")], columns=[*FIELD_NAMES, "notes"]))
    parsed = parse_source(path)
    assert isinstance(parsed, ParsedSource)
    assert parsed.source == "traces.csv" and parsed.path == path and parsed.format == "csv"
    assert parsed.sha256 == hashlib.sha256(path.read_bytes()).hexdigest() and parsed.size == path.stat().st_size
    assert (parsed.rows_read, parsed.rows_valid, parsed.rows_rejected) == (2, 1, 1)
    assert parsed.mapping["notes"] == "notes" and parsed.header_row == 1
    assert parsed.problems == [Problem("traces.csv", 3, "outputTokens", "-1", "must not be negative")]
    assert parsed.problems[0].as_dict() == {"source": "traces.csv", "row": 3, "column": "outputTokens",
                                            "value": "-1", "reason": "must not be negative"}
    assert parsed.problem_lines() == ["traces.csv:3:outputTokens: must not be negative (value '-1')"]
    assert not parsed.ok


def test_row_tuples_have_storage_types(write):
    parsed = parse_source(write("t.csv", kit_csv([row(cacheHitRate="", costUsd="", notes="n")],
                                                 columns=[*FIELD_NAMES, "notes"])))
    (values,) = parsed.rows()
    assert len(values) == len(OUTPUT_COLUMNS)
    assert all(isinstance(v, str) for v in values[:4])
    assert isinstance(values[7], bool)
    assert all(v is None or isinstance(v, float) for i, v in enumerate(values[4:16]) if i + 4 != 7)
    assert json.loads(values[16]) == {"notes": "n"} and values[17] is None and values[6] is None


def test_rows_come_in_batches_and_preview_is_short(write):
    parsed = parse_source(write("t.csv", kit_csv([row(model=f"m{i}") for i in range(25)])))
    assert [t[2] for t in parsed.rows(batch_size=4)] == [f"m{i}" for i in range(25)]
    assert len(parsed.preview(5)) == 5 and parsed.preview(5)[4]["model"] == "m4"


class Recorder:
    """A Progress that records what it is told and asks to cancel after `cancel_after` advances."""

    def __init__(self, cancel_after: int | None = None) -> None:
        self.stages: list[tuple[str, int | None]] = []
        self.steps: list[int] = []
        self.cancel_after = cancel_after

    def stage(self, name: str, total: int | None = None) -> None:
        self.stages.append((name, total))

    def advance(self, n: int = 1) -> None:
        self.steps.append(n)

    def cancelled(self) -> bool:
        return self.cancel_after is not None and len(self.steps) >= self.cancel_after


def test_progress_rises_to_one_and_cancel_stops(write):
    path = write("t.csv", kit_csv([row()] * 10))
    seen = Recorder()
    parse_source(path, progress=seen)
    # one stage named after the file, 100 units reported in rising steps, all of them by the end
    assert seen.stages == [("Reading t.csv", 100)]
    assert len(seen.steps) >= 4 and sum(seen.steps) == 100
    with pytest.raises(Cancelled) as caught:
        parse_source(path, progress=Recorder(cancel_after=0))
    assert not isinstance(caught.value, ImportFailed)  # a cancel is not a refusal
    with pytest.raises(Cancelled):
        parse_source(path, progress=Recorder(cancel_after=3))


def test_unknown_format_is_refused(write):
    with pytest.raises(ImportFailed, match="unknown format 'excel'"):
        parse_source(write("t.csv", "x"), format="excel")


def test_problem_objects_are_capped_but_counted(write, monkeypatch):
    monkeypatch.setattr(tabular, "MAX_PROBLEMS", 5)
    parsed = parse_source(write("t.csv", kit_csv([row(outputTokens="-1", costUsd="x")] * 10)))
    assert len(parsed.problems) == 4 and parsed.problems_omitted == 16  # whole rows: 2 problems each
    assert parsed.rows_rejected == 10 and parsed.problem_lines()[-1] == "t.csv: 16 more problems not listed"


def test_many_rows_every_bad_row_reported(write):
    rows = [row(model=f"m{i % 7}") for i in range(20_000)]
    for index in (0, 4_999, 19_999):
        rows[index] = row(cacheHitRate="7")
    parsed = parse_source(write("t.csv", kit_csv(rows)))
    assert [p.row for p in parsed.problems] == [2, 5001, 20001]
    assert parsed.rows_valid == 19_997


def test_importers_do_not_pull_in_qt_storage_or_cli():
    code = ("import sys, desktop.importers as i; i.parse_source; i.write_xlsx_template; "
            "import desktop.importers.api, desktop.importers.templates, desktop.importers.request_log; "
            "bad = [m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph', 'desktop.ui', "
            "'desktop.storage', 'desktop.cli'))]; print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_package_import_is_lazy():
    code = "import sys, desktop.importers; sys.exit(1 if 'polars' in sys.modules else 0)"
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0


def test_large_files_are_hashed_alongside_the_parse(write, monkeypatch):
    from desktop.importers import preflight
    monkeypatch.setattr(preflight, "SMALL_FILE_BYTES", 0)
    path = write("t.csv", kit_csv([row(model=f"m{i}") for i in range(500)] + [row(outputTokens="-1")]))
    parsed = parse_source(path)
    assert parsed.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert parsed.problems[0].row == 502 and parsed.rows_valid == 500
