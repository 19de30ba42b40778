"""Large CSV trace tables checked piece by piece: the same result as checking the whole table at once.

Each file is parsed twice: as any small file is (whole), and with the piece threshold at zero and pieces of a
few hundred bytes, so that the decisions that need every row (decimal comma, '%' columns, blank-headed
columns, extra kinds, the problem cap) hinge on rows in a late piece.
"""

from __future__ import annotations

import json

import polars as pl
import pytest

from desktop.domain.trace import FIELD_NAMES
from desktop.importers import parse_source, pieces, tabular
from desktop.importers.preflight import Limits, read_source
from desktop.importers.detect import classifier
from desktop.importers.textfile import decode_text, find_header
from desktop.domain.progress import FractionTicker
from tests.importers.conftest import kit_csv, row

PIECE = 300  # bytes: a piece holds one or two rows of the kit


def outcome(parsed) -> tuple:
    valid = parsed.valid.with_columns(pl.col(pl.Categorical).cast(pl.String))
    return (valid.rows(), [(p.row, p.column, p.value, p.reason) for p in parsed.problems], parsed.problems_omitted,
            parsed.rows_read, parsed.rows_rejected, parsed.notes, parsed.mapping, parsed.header_row,
            [(w.row, w.column, w.value, w.reason) for w in parsed.warnings])


@pytest.fixture
def both(monkeypatch):
    """Parse a file whole, then in pieces; returns (whole, in pieces)."""
    def run(path, **options):
        whole = parse_source(path, **options)
        with monkeypatch.context() as patch:
            patch.setattr(pieces, "STREAM_BYTES", 0)
            patch.setattr(pieces, "PIECE_BYTES", PIECE)
            split = parse_source(path, **options)
        return whole, split
    return run


def in_pieces(path) -> bool:
    """Whether the piece reader takes the file (rather than handing it back to the whole-file reader)."""
    source = read_source(path, Limits())
    text = decode_text(source)
    guess = find_header(text.sample, classifier(None), None, source.name)
    result = pieces.validate_in_pieces(text, guess, source=source.name, set_values=None, decimal_comma=None,
                                       route_aliases={}, ticker=FractionTicker(None), piece_bytes=PIECE)
    return result is not None


def test_good_and_bad_rows_with_extras_give_the_same_result_and_the_right_row_numbers(write, both):
    rows = [row(model=f"m-{i}") for i in range(30)]
    rows[4]["route"] = "Owned hardware"           # not a route
    rows[8]["inputTokens"] = "-5"                 # below the minimum
    rows[11]["outputTokens"] = " 12 "             # padded: read as 12
    rows[20]["costUsd"] = "0.5\x01"               # not a number
    for i, r in enumerate(rows):
        r["runId"] = str(1000 + i)               # an extra of whole numbers throughout
        r["note"] = "fast" if i < 29 else "x7"   # an extra of text
        r[""] = "late value" if i == 27 else ""  # a blank-headed column with one value, in a late piece
    columns = [*FIELD_NAMES, "runId", "note", ""]
    path = write("t.csv", kit_csv(rows, columns=columns, above="exported by our gateway\n\n"))
    assert in_pieces(path)
    whole, split = both(path)
    assert outcome(split) == outcome(whole)
    assert split.valid.schema["route"] == pl.Categorical
    # header on line 3, so data row i is on line i + 4
    assert [(p.row, p.column) for p in split.problems] == [(8, "route"), (12, "inputTokens"), (24, "costUsd")]
    assert split.rows_read == 30 and split.rows_valid == 27
    by_model = {r[2]: r for r in split.valid.with_columns(pl.col(pl.Categorical).cast(pl.String)).rows()}
    assert by_model["m-11"][FIELD_NAMES.index("outputTokens")] == 12.0
    assert json.loads(by_model["m-27"][16]) == {"runId": 1027, "note": "fast", "column 19": "late value"}


def test_decimal_commas_only_in_the_last_rows_decide_for_the_whole_file(write, both):
    whole_numbers = dict(cacheHitRate="0", acceptedOutputRate="1", reviewMinutes="3")
    rows = [row(costUsd="1", **whole_numbers) for _ in range(12)] + [row(costUsd="0,25", **whole_numbers)]
    path = write("t.csv", kit_csv(rows, sep=";"))
    assert in_pieces(path)
    whole, split = both(path)
    assert outcome(split) == outcome(whole)
    assert "numbers read with a decimal comma (';'-separated file)" in split.notes
    assert split.valid.get_column("costUsd").to_list() == [1.0] * 12 + [0.25]


@pytest.mark.parametrize("last, ambiguous", [("35", False), ("0.9", True)])
def test_a_percent_column_is_judged_on_all_its_values(write, both, last, ambiguous):
    columns = [n if n != "cacheHitRate" else "Cache hit rate (%)" for n in FIELD_NAMES]
    rows = [{**row(), "Cache hit rate (%)": "0.5"} for _ in range(10)] + [{**row(), "Cache hit rate (%)": last}]
    path = write("t.csv", kit_csv(rows, columns=columns))
    whole, split = both(path)
    assert outcome(split) == outcome(whole)
    assert bool(split.problems) is ambiguous
    if not ambiguous:
        assert split.valid.get_column("cacheHitRate").to_list() == [0.005] * 10 + [0.35]


def test_an_extra_that_turns_to_text_in_a_late_row_is_text_in_every_row(write, both):
    rows = [{**row(), "batchSize": str(i)} for i in range(10)] + [{**row(), "batchSize": "auto"}]
    path = write("t.csv", kit_csv(rows, columns=[*FIELD_NAMES, "batchSize"]))
    whole, split = both(path)
    assert outcome(split) == outcome(whole)
    assert [json.loads(e)["batchSize"] for e in split.valid.get_column("extras")] == [*map(str, range(10)), "auto"]


def test_the_problem_cap_cuts_at_the_same_row_across_pieces(write, both, monkeypatch):
    monkeypatch.setattr(tabular, "MAX_PROBLEMS", 5)
    monkeypatch.setattr(pieces, "MAX_PROBLEMS", 5)
    rows = [row(inputTokens="-1", outputTokens="x") for _ in range(8)]  # two bad cells per row
    path = write("t.csv", kit_csv(rows))
    whole, split = both(path)
    assert outcome(split) == outcome(whole)
    assert [p.row for p in split.problems] == [2, 2, 3, 3]  # a third row would make six
    assert split.problems_omitted == 16 - 4


@pytest.mark.parametrize("content", [
    kit_csv([row(), row(model='"two\nlines"'), row()]),            # a quoted line break
    kit_csv([row(), row()]).replace("\n", "\n\n", 2),             # a blank line
    kit_csv([row(), row()]) + ",".join(row().values()) + ",extra cell\n",  # a ragged row
], ids=["quoted-line-break", "blank-line", "ragged"])
def test_files_whose_rows_need_the_whole_file_are_read_whole_with_the_same_result(write, both, content):
    path = write("t.csv", content)
    assert not in_pieces(path)
    whole, split = both(path)
    assert outcome(split) == outcome(whole)


def test_a_file_that_is_not_utf8_is_read_whole_with_the_same_result(write, both):
    path = write("t.csv", kit_csv([row(), row(provider="Caf\xe9 AI")]), encoding="cp1252")
    whole, split = both(path)
    assert outcome(split) == outcome(whole)
    assert "not UTF-8: read as Windows-1252 (Western European)" in split.notes
