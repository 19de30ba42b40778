"""The one way figures are written for people: money, shares, durations, counts and missing values.

The screen, the plots, the CLI and every export call these functions, so the same figure reads the same
everywhere. Pure and stdlib only (the domain layer).

Conventions, chosen once:
- Money is stored in USD. It is shown in a `DisplayCurrency`: US dollars as "$1,234.56", any other
  currency with its ISO 4217 code in front, "EUR 1,234.56" (a code is unambiguous in every locale and
  font, unlike "kr" or "$" for CAD/AUD). Negative amounts put the sign first: "-$12.00", "-EUR 12.00".
- Amounts of one unit or more get two decimals; smaller amounts (per-token and per-request prices) keep
  four significant digits, so $0.000012345 reads "$0.00001235", never "$0.00".
- A missing value is one of two words, never "n/a", "unknown" or a dash:
  `NOT_OBSERVED` when no source recorded it (a trace without costUsd), `NOT_KNOWN` when it cannot be
  worked out (a break-even with no cost to compare). Not observed is not zero. An input the officer has
  not entered yet reads `NOT_SET`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

NOT_OBSERVED = "not observed"
NOT_KNOWN = "not known"
NOT_SET = "not set"  # an input the officer has not entered yet (a reviewer rate, an organisation)

_ISO_CODE = re.compile(r"[A-Z]{3}\Z")
_SIGNIFICANT = 4        # digits kept for amounts below one unit
_MAX_DECIMALS = 12      # below 1e-12 of a unit an amount prints as zero


@dataclass(frozen=True)
class DisplayCurrency:
    """The currency amounts are shown in, with the rate that converts stored USD into it.

    per_usd is how many units of this currency one US dollar buys (EUR at 0.92 means $1 = EUR 0.92);
    date and source say where that rate came from, for the notes under a table or a memo.
    """

    code: str = "USD"
    per_usd: float = 1.0
    date: str | None = None
    source: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.code, str) or not _ISO_CODE.match(self.code):
            raise ValueError(f"currency code {self.code!r} must be three capital letters such as USD or EUR")
        if isinstance(self.per_usd, bool) or not isinstance(self.per_usd, (int, float)) \
                or not math.isfinite(self.per_usd) or self.per_usd <= 0:
            raise ValueError(f"exchange rate {self.per_usd!r} must be a positive number")
        if self.code == "USD" and self.per_usd != 1.0:
            raise ValueError("one US dollar is one US dollar: per_usd must be 1 for USD")

    @classmethod
    def from_fx_to_usd(cls, code: str, fx_to_usd: float, date: str | None = None,
                       source: str | None = None) -> DisplayCurrency:
        """From a rate written the other way round, USD per one unit of `code` (the workbook's fxToUsd)."""
        if isinstance(fx_to_usd, bool) or not isinstance(fx_to_usd, (int, float)) \
                or not math.isfinite(fx_to_usd) or fx_to_usd <= 0:
            raise ValueError(f"exchange rate {fx_to_usd!r} must be a positive number")
        return cls(code, 1.0 if code == "USD" else 1.0 / fx_to_usd, date, source)

    @property
    def is_usd(self) -> bool:
        return self.code == "USD"

    @property
    def prefix(self) -> str:
        """What goes before the digits: '$' for US dollars, 'EUR ' for euros."""
        return "$" if self.is_usd else f"{self.code} "

    def from_usd(self, amount_usd: float) -> float:
        return amount_usd * self.per_usd

    def rate_note(self) -> str:
        """'' for USD; otherwise the conversion in words: '1 USD = 0.92 EUR (2026-05-01, ECB)'."""
        if self.is_usd:
            return ""
        where = ", ".join(part for part in (self.date, self.source) if part)
        return f"1 USD = {_plain(self.per_usd, 4)} {self.code}" + (f" ({where})" if where else "")


USD = DisplayCurrency()


def _finite(value: Any) -> float | None:
    """A real number, or None for null, booleans, NaN, infinities and anything that is not a number."""
    if value is None or isinstance(value, bool):
        return None
    if not isinstance(value, (int, float)):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _plain(value: float, significant: int) -> str:
    """`value` with at most `significant` significant digits, no exponent, no trailing zeros."""
    if value == 0:
        return "0"
    decimals = max(0, significant - 1 - math.floor(math.log10(abs(value))))
    return f"{value:,.{min(decimals, _MAX_DECIMALS)}f}".rstrip("0").rstrip(".") if decimals else f"{value:,.0f}"


def _money_decimals(amount: float) -> int:
    magnitude = abs(amount)
    if magnitude >= 1 or magnitude == 0:
        return 2
    return min(_MAX_DECIMALS, max(2, _SIGNIFICANT - 1 - math.floor(math.log10(magnitude))))


def format_amount(amount: Any, *, decimals: int | None = None, missing: str = NOT_KNOWN) -> str:
    """The digits of a money amount without a currency sign, for a table whose unit is written beside it
    ('1,963.70' under 'USD/month'). No conversion: the amount is shown in the unit it is given in.

    decimals=None chooses: two for one unit or more, four significant digits below that (trailing zeros
    beyond the second decimal dropped). A fixed number rounds every amount to it, as axis ticks need.
    """
    number = _finite(amount)
    if number is None:
        return missing
    if decimals is None:
        places = _money_decimals(number)
        text = f"{abs(number):,.{places}f}"
        if places > 2:
            whole, _, fraction = text.partition(".")
            text = f"{whole}.{fraction.rstrip('0').ljust(2, '0')}"
    else:
        text = f"{abs(number):,.{decimals}f}"
    sign = "-" if number < 0 and any(ch not in "0.," for ch in text) else ""
    return sign + text


def format_money(amount_usd: Any, currency: DisplayCurrency = USD, *, decimals: int | None = None,
                 missing: str = NOT_KNOWN) -> str:
    """An amount stored in USD, shown in `currency`: '$1,234.56', 'EUR 1,135.80', '$0.0001235'.

    Digits as `format_amount`; the currency's prefix goes after any minus sign ('-$12.00').
    """
    number = _finite(amount_usd)
    if number is None:
        return missing
    text = format_amount(currency.from_usd(number), decimals=decimals)
    if text.startswith("-"):
        return f"-{currency.prefix}{text[1:]}"
    return currency.prefix + text


def format_percent(share: Any, *, decimals: int = 0, missing: str = NOT_KNOWN) -> str:
    """A share (0.25) as a percentage ('25%'); `decimals` places after the point."""
    number = _finite(share)
    if number is None:
        return missing
    return f"{number:.{decimals}%}"


def format_count(value: Any, *, decimals: int = 0, compact: bool = False, missing: str = NOT_KNOWN) -> str:
    """A count with thousands separators: '1,234,567'; compact=True: '1.23 million', '4.5 billion'."""
    number = _finite(value)
    if number is None:
        return missing
    if compact:
        for size, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
            if abs(number) >= size:
                return f"{number / size:,.2f}".rstrip("0").rstrip(".") + f" {word}"
    return f"{number:,.{decimals}f}"


def format_number(value: Any, *, missing: str = NOT_KNOWN) -> str:
    """A measured or modelled quantity with as many digits as it deserves: '14,539.5', '0.2', '0.0001235'.

    Whole numbers and anything of 100,000 or more show no decimals; 100 or more up to two; 1 or more up
    to four; below 1 four significant digits. Trailing zeros are dropped. Integers keep every digit.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    number = _finite(value)
    if number is None:
        return missing
    magnitude = abs(number)
    if magnitude >= 1e5 or number.is_integer():
        return f"{number:,.0f}"
    if magnitude >= 100:
        return f"{number:,.2f}".rstrip("0").rstrip(".")
    if magnitude >= 1:
        return f"{number:,.4f}".rstrip("0").rstrip(".")
    return _plain(number, _SIGNIFICANT)


def format_duration_ms(milliseconds: Any, *, missing: str = NOT_OBSERVED) -> str:
    """A latency or duration given in ms: '850 ms', '12.3 s', '4 min 05 s', '2 h 03 min'."""
    number = _finite(milliseconds)
    if number is None:
        return missing
    sign = "-" if number < 0 else ""
    ms = abs(number)
    if ms < 1000:
        return f"{sign}{ms:,.0f} ms" if ms >= 10 or ms.is_integer() else f"{sign}{ms:.2g} ms"
    seconds = ms / 1000
    if seconds < 60:
        return f"{sign}{seconds:.1f} s".replace(".0 s", " s")
    whole = round(seconds)
    if whole < 3600:
        return f"{sign}{whole // 60} min {whole % 60:02d} s"
    minutes = round(seconds / 60)
    return f"{sign}{minutes // 60:,} h {minutes % 60:02d} min"


def format_value(value: Any, unit: str = "", *, missing: str = NOT_KNOWN) -> str:
    """Any figure a calculator or a metric returns, for a table that writes `unit` beside it: booleans
    yes/no, shares (unit 'share...') as percentages with one decimal, USD amounts (unit 'USD...') by
    `format_amount`, other numbers by `format_number`, text as it is, None as `missing`."""
    if value is None:
        return missing
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        if unit.startswith("share") and _finite(value) is not None:
            return format_percent(value, decimals=1)
        if unit.startswith("USD"):
            return format_amount(value, missing=missing)
        return format_number(value, missing=missing)
    return str(value)
