"""The canonical form: numbers as shortest exact decimal strings, NFC text, sorted keys, no floats."""

import hashlib
import json
import random
import unicodedata
from decimal import Decimal

import pytest

from desktop.domain.canonical import (CANONICAL_FORMAT_VERSION, canonical_bytes, canonical_number, canonicalise,
                                      content_number, decision_content, fingerprint, rows_hash, signoff_content)
from desktop.domain.workbook import SignOff, Workbook
from desktop.resources import playbook


def _slow_number(value):
    """The definition, without the fast path: Decimal of the shortest round-trip text, normalised."""
    text = format(Decimal(repr(value)).normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


@pytest.mark.parametrize("value, text", [
    (60, "60"), (60.0, "60"), (Decimal("6E+1"), "60"), (Decimal("60.000"), "60"), (0.1, "0.1"),
    (1e-07, "0.0000001"), (-0.0, "0"), (0, "0"), (1e16, "10000000000000000"), (2.5e-05, "0.000025"),
    (123456789.125, "123456789.125"), (-5.5, "-5.5"), (0.30000000000000004, "0.30000000000000004"),
])
def test_shortest_exact_decimal(value, text):
    assert canonical_number(value) == text


def test_60_and_60_point_0_have_one_canonical_form():
    assert canonical_bytes({"a": 60}) == canonical_bytes({"a": 60.0}) == canonical_bytes({"a": Decimal("6E1")})
    assert fingerprint({"rate": 60}) == fingerprint({"rate": 60.0})


def test_fast_path_agrees_with_the_definition_on_random_floats():
    rng = random.Random(6)
    values = [rng.uniform(-1e6, 1e6) for _ in range(2000)] + [rng.random() * 10 ** rng.randint(-12, 20)
                                                              for _ in range(2000)]
    values += [float(n) for n in range(-50, 50)] + [1e15, 1e16, 1e17, 123e-20, 5e-324, 1.7976931348623157e308]
    for value in values:
        assert canonical_number(value) == _slow_number(value), value


def test_non_finite_and_booleans_are_refused():
    for bad in (float("nan"), float("inf"), float("-inf")):
        with pytest.raises(ValueError):
            canonical_number(bad)
    with pytest.raises(TypeError):
        canonical_number(True)
    with pytest.raises(TypeError):
        canonicalise({"x": object()})


def test_text_is_nfc_normalised_keys_too():
    decomposed = "Cafe\u0301 Mu\u0308ller"
    composed = unicodedata.normalize("NFC", decomposed)
    assert decomposed != composed
    assert canonical_bytes({"name": decomposed}) == canonical_bytes({"name": composed})
    assert canonical_bytes({decomposed: 1}) == canonical_bytes({composed: 1})
    assert canonical_bytes({"name": composed}).decode("utf-8") == '{"name":"' + composed + '"}'


def test_sorted_keys_no_whitespace_utf8_and_no_floats():
    data = {"b": [1.5, None, True, "x"], "a": {"z": 2, "y": "é"}}
    text = canonical_bytes(data).decode("utf-8")
    assert text == '{"a":{"y":"é","z":"2"},"b":["1.5",null,true,"x"]}'
    assert json.loads(text) == canonicalise(data)
    assert fingerprint(data) == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert len(fingerprint(data)) == 64


def test_rows_hash_is_canonical_bytes_per_row_and_order_sensitive():
    rows = [{"b": 1.0, "a": "Cafe\u0301", "c": None, "d": False}, {"a": "x", "b": 2.5e-7, "e": {"k": 3}}]
    expected = hashlib.sha256()
    for row in rows:
        expected.update(canonical_bytes(row) + b"\n")
    assert rows_hash(rows) == expected.hexdigest()
    assert rows_hash(iter(rows)) == rows_hash(rows)
    assert rows_hash(list(reversed(rows))) != rows_hash(rows)
    assert rows_hash([{"b": 1, "a": "Caf\u00e9", "c": None, "d": False}, rows[1]]) == rows_hash(rows)


def _content(workbook, **extra):
    return decision_content(workbook, playbook(), schema_version=2, traces_hash="0" * 64, trace_count=0,
                            imports=[], **extra)


def test_decision_content_covers_signoff_and_audit_anchor():
    workbook = Workbook.empty(playbook())
    draft = _content(workbook, audit={"entries": 0, "headHash": "0" * 64})
    assert draft["canonicalFormat"] == CANONICAL_FORMAT_VERSION and draft["signoff"] is None
    assert draft["audit"] == {"entries": 0, "headHash": "0" * 64}
    assert fingerprint(draft) != fingerprint(_content(workbook, audit={"entries": 1, "headHash": "1" * 64}))
    workbook.signoff = SignOff("Dana", "CFO", "approve", "", "2026-11-28", "f" * 64, "2026-11-28T10:00:00+00:00",
                               signature="aa", public_key="bb")
    signed = _content(workbook, audit={"entries": 0, "headHash": "0" * 64})
    assert signed["signoff"] == signoff_content(workbook.signoff)
    assert set(signed["signoff"]) == {"approver", "role", "decision", "conditions", "date", "draftFingerprint"}
    assert fingerprint(signed) != fingerprint(draft)
    # the stored fingerprint and signature are made from the content, so they are not part of it
    other = SignOff("Dana", "CFO", "approve", "", "2026-11-28", "e" * 64, "2026-11-29T10:00:00+00:00")
    workbook.signoff = other
    assert fingerprint(_content(workbook, audit={"entries": 0, "headHash": "0" * 64})) == fingerprint(signed)


def test_decision_content_numbers_are_strings_in_canonical_bytes():
    workbook = Workbook.empty(playbook())
    text = canonical_bytes(_content(workbook)).decode("utf-8")
    assert '"readinessThreshold":"70"' in text and '"fxToUsd":"1"' in text
    assert not any(isinstance(v, float) for v in _walk(json.loads(text)))


def _walk(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v)
    else:
        yield value


@pytest.mark.parametrize("text, expected", [("60", 60.0), (60, 60.0), ("0.1", 0.1), ("1e-07", 1e-07), (None, None),
                                            (True, None), ("sixty", None), ("nan", None), ("inf", None)])
def test_content_numbers_read_back(text, expected):
    assert content_number(text) == expected
