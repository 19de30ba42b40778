"""`ipw traces` (TSV and --json), written a part of the trace table at a time, prints byte for byte what the
whole-list listing printed: every row dict of `WorkbookStore.iter_traces` held in one list, then `str()` of each
cell ("" for None) joined by tabs, or `print_json({"traces": rows})`. The reference below is that listing."""

from __future__ import annotations

import json
import random
import sqlite3

import pytest

from desktop.cli import trace_listing
from desktop.cli.common import _no_nan, reading
from desktop.domain.trace import FIELD_NAMES, FIELDS_BY_NAME
from tests.storage.raw_rows import random_row, workbook_with_raw_rows

COLUMNS = ["id", "importId", *FIELDS_BY_NAME]
# Floats Python and polars write differently (below 1e-4), and others each writes its own way.
NUMBERS = [0.0, -0.0, 1e-05, 1.5e-07, 3.9161900052816125e-05, 9.99e-05, 0.0001, 1e-09, 1e-10, 2.5e-300, 5e-324,
           1e16, 1.2345678901234568e17, 1.7976931348623157e308, 123.0, 0.1, -42.125, 0.215, 7.0]
TEXTS = ["Managed frontier API", "invoice-review", "Zürich", "控制 🚀", "e\u0301", 'say "hi"', "back\\slash",
         "tab\there", "line\nend", "ctrl\x01", "\x7f", "", "null"]


def reference(path, as_json: bool) -> str:
    with reading(path) as (store, _workbook):
        rows = list(store.iter_traces())
    if as_json:
        return json.dumps(_no_nan({"traces": rows}), ensure_ascii=False, allow_nan=False, indent=2) + "\n"
    if not rows:
        return "no traces\n"
    lines = ["\t".join(COLUMNS)]
    lines += ["\t".join("" if row.get(c) is None else str(row.get(c)) for c in COLUMNS) for row in rows]
    return "\n".join(lines) + "\n"


def _random_row(rng: random.Random) -> dict:
    return random_row(rng, numbers=NUMBERS, texts=TEXTS, exponent=8)


EXTRAS = [json.dumps({"p99LatencyMs": 1234.5}), json.dumps({"note": "Zürich \"q\"", "n": None, "ok": True}),
          json.dumps({"nested": {"a": [1, 2.5, {}]}, "empty": [], "tiny": 1e-05}), "{}", "",
          '{"big": NaN, "small": -Infinity}',  # json.loads takes these; print_json writes null
          json.dumps({"route": "from the extras"}),  # an extra named like a column replaces its cell
          '{"\\u0069d": "escaped id"}', json.dumps({"id": 99, "importId": "x"})]


def _workbook(tmp_path, rows, extras=None):
    return workbook_with_raw_rows(tmp_path, rows, extras)


@pytest.fixture(params=[(3, 2), (16, 5), None], ids=["tiny parts", "small parts", "as shipped"])
def parts(request, monkeypatch):
    """Rows read `PART_ROWS` and joined `TEXT_ROWS` at a time: every boundary falls somewhere in the rows."""
    if request.param:
        monkeypatch.setattr(trace_listing, "PART_ROWS", request.param[0])
        monkeypatch.setattr(trace_listing, "TEXT_ROWS", request.param[1])


@pytest.mark.parametrize("as_json", [False, True], ids=["tsv", "json"])
def test_the_sample_lists_as_the_whole_list_did(ipw, sample, parts, as_json):
    result = ipw("traces", sample, *(["--json"] if as_json else []))
    assert result.code == 0, result.err
    assert result.out == reference(sample, as_json)
    if as_json:
        assert [row["id"] for row in result.json["traces"]] == list(range(1, 9))
    else:
        assert result.out.count("\n") == 9 and result.out.startswith("id\timportId\troute\t")


@pytest.mark.parametrize("as_json", [False, True], ids=["tsv", "json"])
def test_odd_rows_list_as_the_whole_list_did(ipw, tmp_path, parts, as_json):
    """Nulls, floats either side of 1e-4, non-ASCII and escaped names, extras of every shape (one naming a
    column), edited cells and a removed row: the same bytes."""
    rng = random.Random(5)
    rows = [_random_row(rng) for _ in range(200)]
    path = _workbook(tmp_path, rows, {i * 7: text for i, text in enumerate(EXTRAS)})
    first_added = 9  # after the sample's eight rows
    assert ipw("traces", path).code == 0  # a workbook the listing reads before the edits below
    conn = sqlite3.connect(path)
    conn.execute("UPDATE traces SET costUsd = 0.00004, edited = ? WHERE id = ?",
                 (json.dumps({"costUsd": {"imported": 0.5, "editedAt": "2026-01-01T00:00:00Z"}}), first_added + 3))
    conn.execute("UPDATE traces SET active = 0 WHERE id = ?", (first_added + 4,))
    conn.commit()
    conn.close()

    result = ipw("traces", path, *(["--json"] if as_json else []))
    assert result.code == 0, result.err
    assert result.out == reference(path, as_json)
    if as_json:
        assert len(result.json["traces"]) == 8 + 199
        listed = {row["id"]: row for row in result.json["traces"]}  # two rows' extras name an "id" of their own
        assert first_added + 4 not in listed and {"escaped id", 99} <= set(listed)
        assert listed[first_added + 3]["costUsd"] == 0.00004
        assert listed[first_added + 5 * 7]["big"] is None  # NaN in the extras
    else:
        assert "\t4e-05\t" in result.out  # as Python writes it, not polars' 0.00004
        assert "\tfrom the extras\t" in result.out


@pytest.mark.parametrize("cell", [("costUsd", "twelve dollars"), ("ttftMs", b"\x00\xff"), ("batchEligible", 0.5),
                                  ("cacheHitRate", float("inf")), ("route", b"Managed frontier API")],
                         ids=lambda cell: cell[0])
@pytest.mark.parametrize("as_json", [False, True], ids=["tsv", "json"])
def test_a_cell_of_another_type_lists_as_the_row_dicts_hold_it(ipw, tmp_path, parts, cell, as_json):
    """A file another tool wrote: text or a blob in a number column, a real in the boolean column, an infinity,
    a blob in a name column. Its part is listed from the row dicts, the others column-wise."""
    rows = [_random_row(random.Random(i)) for i in range(40)]
    rows[30][cell[0]] = cell[1]
    path = _workbook(tmp_path, rows)
    result = ipw("traces", path, *(["--json"] if as_json else []))
    if as_json and isinstance(cell[1], bytes):  # the whole-list listing could not write a blob as JSON either
        assert result.code == 70 and "internal error: TypeError" in result.err
        return
    assert result.code == 0, result.err
    assert result.out == reference(path, as_json)


def test_a_workbook_without_rows(ipw, empty):
    assert ipw("traces", empty).out == "no traces\n" == reference(empty, False)
    result = ipw("traces", empty, "--json")
    assert result.out == '{\n  "traces": []\n}\n' == reference(empty, True)


def test_a_removed_import_is_not_listed(ipw, sample, tmp_path):
    source = tmp_path / "more.csv"
    header = ",".join(FIELD_NAMES)
    source.write_text(f"{header}\nManaged frontier API,OpenAI,m,w,10,20,,false,1,,,,,,,\n", encoding="utf-8")
    assert ipw("import", sample, source).code == 0
    assert len(ipw("traces", sample, "--json").json["traces"]) == 9
    assert ipw("traces", sample, "--delete-import", 1).code == 0
    result = ipw("traces", sample)
    assert result.out == reference(sample, False) and result.out.count("\n") == 2


def test_a_closed_pipe_ends_quietly(ipw_process, sample, tmp_path):
    """`ipw traces FILE | head -1`: the reader goes away after the first line; no traceback, no message."""
    import subprocess
    import sys

    rows = [_random_row(random.Random(i)) for i in range(20_000)]
    path = _workbook(tmp_path, rows)
    for args in ([], ["--json"]):
        process = subprocess.Popen([sys.executable, "-m", "desktop", "traces", str(path), *args],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        first = process.stdout.readline()
        process.stdout.close()  # before the ~10 MB are written: the writer meets a closed pipe
        err = process.stderr.read()
        process.stderr.close()
        assert process.wait(timeout=60) == 0
        assert first and err == b""


@pytest.mark.parametrize("as_json", [False, True], ids=["tsv", "json"])
def test_text_that_is_not_utf8_is_refused_before_anything_is_written(ipw, sample, as_json):
    connection = sqlite3.connect(sample)
    connection.execute("UPDATE traces SET model = CAST(x'fffe41' AS TEXT) WHERE id = 2")
    connection.commit()
    connection.close()
    result = ipw("traces", sample, *(["--json"] if as_json else []))
    assert result.code == 1 and result.out == ""
    assert result.err.startswith("ipw: error: ") and "not UTF-8" in result.err and result.err.count("\n") == 1


@pytest.mark.parametrize("as_json", [False, True], ids=["tsv", "json"])
def test_without_the_arrow_driver_the_parts_are_read_row_by_row_alike(ipw, tmp_path, parts, monkeypatch, as_json):
    import sys

    path = _workbook(tmp_path, [_random_row(random.Random(i)) for i in range(60)], {3: EXTRAS[2], 40: EXTRAS[6]})
    monkeypatch.setitem(sys.modules, "adbc_driver_sqlite", None)  # as in an install or bundle without it
    result = ipw("traces", path, *(["--json"] if as_json else []))
    assert result.code == 0, result.err
    assert result.out == reference(path, as_json)
