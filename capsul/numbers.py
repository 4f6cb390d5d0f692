"""Reading numbers from text a person typed or a header carried: one parser for whole numbers
and one for money, used by every form, query and header.

`str.isdigit()` is not the test: it accepts '²' and Arabic-Indic digits, which int() then refuses
(or reads), and int() of 4,300 digits raises. Decimal() takes '1e3' and '1e400'. Here a whole
number is 1 to 18 ASCII digits, and an amount of money is dollars with at most two decimals.
Both answer None for anything else, so that each caller words its own refusal.
"""
from __future__ import annotations

import re
from decimal import Decimal

from capsul.limits import INT8_MAX

_WHOLE = re.compile(r"[0-9]{1,18}")  # fits a bigint; more digits are never a number we asked for
_MONEY = re.compile(r"(-?)\$?([0-9]{1,12})(?:\.([0-9]{1,2}))?")
CENT = Decimal("0.01")


def parse_int(text: object, low: int = 0, high: int = INT8_MAX) -> int | None:
    """A whole number in [low, high], written in ASCII digits (spaces around it allowed); else None."""
    if not isinstance(text, str) or not _WHOLE.fullmatch(text := text.strip()):
        return None
    value = int(text)
    return value if low <= value <= high else None


def parse_money(text: object, *, negative: bool = False) -> Decimal | None:
    """Dollars such as `20`, `$20`, `5.5` or `5.55` (and `-5.50` when `negative` is allowed), as a
    Decimal of cents; None for anything else: exponents, more than two decimals, thousands
    separators, other digits."""
    if not isinstance(text, str):
        return None
    match = _MONEY.fullmatch(text.strip())
    if match is None or (match.group(1) and not negative):
        return None
    sign, dollars, cents = match.groups()
    return Decimal(f"{sign}{dollars}.{(cents or '').ljust(2, '0')}").quantize(CENT)
