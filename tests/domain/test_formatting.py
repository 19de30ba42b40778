"""The one formatter: every expected string below is worked out by hand from the conventions in the
module docstring (two decimals from one unit up, four significant digits below, ISO code for non-USD)."""

import math

import pytest

from desktop.domain.formatting import (NOT_KNOWN, NOT_OBSERVED, USD, DisplayCurrency, format_amount, format_count,
                                       format_duration_ms, format_money, format_number, format_percent,
                                       format_value)

EUR = DisplayCurrency("EUR", 0.92, "2026-05-01", "ECB")


@pytest.mark.parametrize("amount, expected", [
    (1234.56, "$1,234.56"),
    (1234.5, "$1,234.50"),
    (2_000_000, "$2,000,000.00"),
    (1, "$1.00"),
    (0, "$0.00"),
    (0.5, "$0.50"),
    (0.1234, "$0.1234"),
    (0.012346, "$0.01235"),        # 4 significant digits
    (0.000012345, "$0.00001234"),
    (2.5e-7, "$0.00000025"),
    (-12, "-$12.00"),
    (-0.0001, "-$0.0001"),
])
def test_money_in_usd(amount, expected):
    assert format_money(amount) == expected


def test_money_in_another_currency_converts_and_names_the_code():
    # $1,000 at 0.92 EUR per USD is EUR 920; $0.0001 is EUR 0.000092.
    assert format_money(1000, EUR) == "EUR 920.00"
    assert format_money(0.0001, EUR) == "EUR 0.000092"
    assert format_money(-50, EUR) == "-EUR 46.00"
    assert EUR.from_usd(100) == pytest.approx(92)


def test_fixed_decimals_for_axis_ticks():
    assert format_money(1234.56, decimals=0) == "$1,235"
    assert format_money(0.004, decimals=2) == "$0.00"      # rounds to zero: no minus sign on -0.00
    assert format_money(-0.004, decimals=2) == "$0.00"


@pytest.mark.parametrize("missing", [None, math.nan, math.inf, True, "12"])
def test_missing_money_is_not_known_unless_the_caller_says_not_observed(missing):
    assert format_money(missing) == NOT_KNOWN == "not known"
    assert format_money(missing, missing=NOT_OBSERVED) == "not observed"


def test_display_currency_from_the_workbooks_rate():
    # The workbook stores fxToUsd = USD per one EUR; 1.087 USD per EUR is 1/1.087 = 0.91996... EUR per USD.
    eur = DisplayCurrency.from_fx_to_usd("EUR", 1.087, "2026-05-01", "ECB")
    assert eur.per_usd == pytest.approx(0.919963, rel=1e-6)
    assert format_money(1087, eur) == "EUR 1,000.00"
    assert eur.rate_note() == "1 USD = 0.92 EUR (2026-05-01, ECB)"
    assert DisplayCurrency.from_fx_to_usd("USD", 1.0) == USD
    assert USD.rate_note() == "" and USD.prefix == "$" and eur.prefix == "EUR "


@pytest.mark.parametrize("kwargs", [{"code": "eur"}, {"code": "EURO"}, {"code": "EUR", "per_usd": 0},
                                    {"code": "EUR", "per_usd": math.nan}, {"code": "USD", "per_usd": 2.0}])
def test_display_currency_refuses_nonsense(kwargs):
    with pytest.raises(ValueError):
        DisplayCurrency(**kwargs)


def test_display_currency_is_frozen():
    with pytest.raises(AttributeError):
        USD.code = "EUR"


def test_percent():
    assert format_percent(0.25) == "25%"
    assert format_percent(0.8766, decimals=1) == "87.7%"
    assert format_percent(None) == NOT_KNOWN
    assert format_percent(None, missing=NOT_OBSERVED) == NOT_OBSERVED


def test_count():
    assert format_count(1234567) == "1,234,567"
    assert format_count(1234.5, decimals=1) == "1,234.5"
    assert format_count(1_250_000, compact=True) == "1.25 million"
    assert format_count(4_500_000_000, compact=True) == "4.5 billion"
    assert format_count(999_999, compact=True) == "999,999"
    assert format_count(None) == NOT_KNOWN


@pytest.mark.parametrize("ms, expected", [
    (850, "850 ms"), (0.5, "0.5 ms"), (5, "5 ms"), (1000, "1 s"), (12_345, "12.3 s"),
    (245_000, "4 min 05 s"), (7_380_000, "2 h 03 min"), (None, NOT_OBSERVED),
])
def test_duration(ms, expected):
    assert format_duration_ms(ms) == expected


@pytest.mark.parametrize("value, expected", [
    (14539.5, "14,539.5"), (250_000.4, "250,000"), (123.456, "123.46"), (2.69, "2.69"),
    (1.23456, "1.2346"), (0.2, "0.2"), (0.00012345, "0.0001234"), (42, "42"), (12_345_678, "12,345,678"),
    (3.0, "3"), (None, NOT_KNOWN),
])
def test_number(value, expected):
    assert format_number(value) == expected


def test_value_for_calculator_and_metric_outputs():
    assert format_value(True) == "yes" and format_value(False) == "no"
    assert format_value(0.5, "share") == "50.0%"
    assert format_value(2.69, "usd/h") == "2.69"
    assert format_value("dedicated") == "dedicated"
    assert format_value(None) == NOT_KNOWN
    assert format_value(None, missing=NOT_OBSERVED) == NOT_OBSERVED


def test_amount_is_money_digits_without_a_sign_for_tables_with_a_unit_column():
    assert format_amount(1963.7) == "1,963.70"
    assert format_amount(0.05139) == "0.05139"
    assert format_amount(-3) == "-3.00"
    assert format_value(1963.7, "USD/month") == "1,963.70"
    assert format_value(0.05139, "USD per accepted output") == "0.05139"
