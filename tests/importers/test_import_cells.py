"""The vectorised cell rules agree with the domain's one definition of a trace row."""

from __future__ import annotations

import random
import re

import polars as pl
import pytest

from desktop.domain.errors import FieldError
from desktop.domain.trace import FIELD_NAMES, FIELDS_BY_NAME, make_trace_row
from desktop.importers import parse_source
from desktop.importers.cells import NUMBER_PATTERN, scalar
from desktop.importers.headers import SYNONYMS, trace_vocabulary
from desktop.resources import playbook
from tests.importers.conftest import BASE_ROW, kit_csv

EDGE_NUMBERS = ["0", "-0", "12", "+5", "-.5", ".5", "5.", "1e5", "1E+05", "1e-400", "0005", "1.5.3", ".", "+", "-",
                "e5", "1e", "5e", "1,5", "1 000", "1_000", " 12", "12 ", "0x10", "0b1", "1d", "1f", "١٢", "１２", "²",
                "inf", "-inf", "Infinity", "NaN", "nan", "1e309", "12%", "abc", ""]


def test_polars_float_parsing_is_the_strict_grammar_plus_non_finite_spellings():
    parsed = pl.Series(EDGE_NUMBERS).cast(pl.Float64, strict=False).to_list()
    for text, value in zip(EDGE_NUMBERS, parsed, strict=True):
        grammar = re.match(NUMBER_PATTERN, text) is not None
        finite = value is not None and value == value and abs(value) != float("inf")
        if grammar and text != "1e309":
            assert finite, text
        else:
            assert not finite, text


def test_vectorised_validation_matches_make_trace_row():
    aliases = playbook().trace_route_aliases()
    pools = {
        "route": ["Managed frontier API", "dedicated-endpoint", "Owned hardware", ""],
        "provider": ["OpenAI", " Fireworks ", ""],
        "inputTokens": ["6200", "0", "-1", "nan", "abc", "", "1e3"],
        "cacheHitRate": ["0.35", "1", "1.01", "-0", "", "inf"],
        "batchEligible": ["true", "No", "1", "maybe", ""],
        "concurrency": ["4", "1", "0", "2.5", "", "16.0"],
        "latencyP95Ms": ["28200", "", "-3", "Infinity"],
        "acceptedOutputRate": ["0.84", "", "2"],
    }
    rng = random.Random(3)
    rows = [{**BASE_ROW, **{k: rng.choice(v) for k, v in pools.items() if rng.random() < 0.2}} for _ in range(600)]
    import tempfile
    from pathlib import Path
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "t.csv"
        path.write_text(kit_csv([{k: (f'"{v}"' if v.strip() != v else v) for k, v in r.items()} for r in rows]))
        parsed = parse_source(path, route_aliases=aliases)
    assert 100 < parsed.rows_valid < 500  # both paths well exercised
    bad_rows = {p.row for p in parsed.problems}
    valid = iter(parsed.rows())
    for index, raw in enumerate(rows):
        try:
            expected = make_trace_row(raw, aliases)
        except FieldError:
            assert index + 2 in bad_rows, raw
            continue
        assert index + 2 not in bad_rows, (raw, [p for p in parsed.problems if p.row == index + 2])
        assert next(valid)[:16] == tuple(expected.values[name] for name in FIELD_NAMES)


@pytest.mark.parametrize(("field", "given", "expected"), [
    ("cacheHitRate", "35%", 0.35), ("cacheHitRate", "", None), ("costUsd", "", None), ("costUsd", " 0.5 ", 0.5),
    ("batchEligible", "yes", True), ("route", "self-hosted-gpu-stack", "Self-hosted GPU stack"),
    ("concurrency", 4, 4.0),
])
def test_values_given_for_a_whole_source(field, given, expected):
    assert scalar(FIELDS_BY_NAME[field], given, playbook().trace_route_aliases()) == expected


@pytest.mark.parametrize(("field", "given"), [("costUsd", "1_000"), ("costUsd", "5%"), ("cacheHitRate", "nan")])
def test_bad_values_given_for_a_whole_source(field, given):
    with pytest.raises(FieldError):
        scalar(FIELDS_BY_NAME[field], given, playbook().trace_route_aliases())


@pytest.mark.parametrize(("header", "name", "factor"), [
    ("Input tokens", "inputTokens", 1.0), ("cache_hit_rate", "cacheHitRate", 1.0),
    ("TTFT (ms)", "ttftMs", 1.0), ("TTFT (s)", "ttftMs", 1000.0), ("ttft_s", "ttftMs", 1000.0),
    ("latencyP95Ms", "latencyP95Ms", 1.0), ("p95 latency (sec)", "latencyP95Ms", 1000.0),
    ("Cache hit %", "cacheHitRate", 0.01), ("Accepted output rate (%)", "acceptedOutputRate", 0.01),
    ("Review (h)", "reviewMinutes", 60.0), ("Cost (USD per request)", "costUsd", 1.0),
    ("Output tok/s", "outputTokensPerSecond", 1.0), ("Concurrent requests", "concurrency", 1.0),
    ("GPU utilization", "gpuUtilization", 1.0), ("Model (exact id)", "model", 1.0), ("Notes", None, 1.0),
])
def test_header_variants(header, name, factor):
    match = trace_vocabulary().match(header)
    assert (match.name, match.factor) == (name, factor)


def test_synonyms_name_only_known_fields():
    from desktop.domain.trace import KNOWN_EXTRA_FIELDS
    assert set(SYNONYMS) <= set(FIELDS_BY_NAME) | set(KNOWN_EXTRA_FIELDS)
