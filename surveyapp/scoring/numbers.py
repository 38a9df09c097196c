"""Exact decimal arithmetic: values stay unrounded and are compared after rounding to 2 places."""

from __future__ import annotations

import math
from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Decimal,
    localcontext,
)

#: rounding modes a scheme may declare: DOMAIN.md "half_up"; seed 002's example truncates ("down")
ROUNDING_MODES = {"half_up": ROUND_HALF_UP, "down": ROUND_DOWN}
CENT = Decimal("0.01")
ZERO = Decimal(0)
HUNDRED = Decimal(100)
#: working precision of every division; far beyond any checklist's needs
PRECISION = 40
#: where survey figures cross from floats into the engine: 9 decimals (see `measured`)
MEASUREMENT_QUANTUM = Decimal("1e-9")


def to_decimal(value: object) -> Decimal:
    """Exact Decimal of an int, Decimal or float as written (0.1 -> Decimal('0.1')), else TypeError."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise TypeError("not a finite number")
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise TypeError("not a finite number")
        return Decimal(repr(float(value)))  # np.float64 reprs as "np.float64(…)"
    raise TypeError(f"expected a number, got {type(value).__name__}")


def measured(value: object) -> Decimal:
    """A survey figure as the engine's Decimal: half-even at 9 decimals, the one float boundary.

    S and the dimensions are means of means computed with numpy in float64; their summation
    noise (about 1e-13 at 100, and dependent on the BLAS, the CPU and the order of the sums)
    must not decide anything: every answer 非常满意 gives 100.00000000000001 on some machines
    and 100 on others. Rounding to 9 decimals removes that noise and keeps every digit a
    2-decimal comparison can depend on (89.99499999999999 -> 89.995 -> 90.00 half up), so a
    figure is in 0–100 exactly when its true value is, on every machine. A true value within
    1e-9 of a rounding edge, but not on it, would need a denominator above 10^9 responses.
    """
    with localcontext() as ctx:
        ctx.prec = PRECISION
        return to_decimal(value).quantize(MEASUREMENT_QUANTUM, rounding=ROUND_HALF_EVEN)


def decided(value: float, mode: str = "half_up") -> float:
    """A float figure as it is printed and compared: measured, then rounded to 2 decimals."""
    return float(round2(measured(value), mode))


def shown(value: float, digits: int = 2) -> str:
    """A float figure written with `digits` decimals, half up after `measured`: the page prints
    the number that decided (89.99499999999999 is "90.00", where "%.2f" would say 89.99)."""
    with localcontext() as ctx:
        ctx.prec = PRECISION
        quantum = Decimal(1).scaleb(-digits)
        return format(measured(value).quantize(quantum, rounding=ROUND_HALF_UP), "f")


def answers_needed(fraction: float, scored: int) -> int:
    """The smallest whole number of answers reaching `fraction` of `scored` questions, exactly
    (half of 18 is 9, half of 9 is 5): the validity rule of DOMAIN.md, with no float fudge."""
    if scored <= 0:
        return 0
    with localcontext() as ctx:
        ctx.prec = PRECISION
        return max(
            0, int((to_decimal(fraction) * scored).to_integral_value(rounding=ROUND_CEILING))
        )


def div(a: Decimal, b: Decimal) -> Decimal:
    """a / b at the engine's working precision."""
    with localcontext() as ctx:
        ctx.prec = PRECISION
        return a / b


def mul(a: Decimal, b: Decimal) -> Decimal:
    """a * b at the engine's working precision."""
    with localcontext() as ctx:
        ctx.prec = PRECISION
        return a * b


def mean(values: tuple[Decimal, ...]) -> Decimal:
    """Arithmetic mean (seed 000 §6.1.4: the mean of the auditors' scores)."""
    with localcontext() as ctx:
        ctx.prec = PRECISION
        return sum(values, ZERO) / len(values)


def round2(value: Decimal, mode: str = "half_up") -> Decimal:
    """Round to 2 decimals: the printed number is the number that decides (DOMAIN.md)."""
    with localcontext() as ctx:
        ctx.prec = PRECISION
        return value.quantize(CENT, rounding=ROUNDING_MODES[mode])


def fmt(value: Decimal) -> str:
    """A threshold or point value without trailing zeros: 90, 0.5, 1.5."""
    return format(value.normalize(), "f")


def fmt2(value: Decimal, mode: str = "half_up") -> str:
    """A computed value with exactly 2 decimals, as it is compared: 89.99, 90.00."""
    return format(round2(value, mode), "f")


def as_json_number(value: Decimal) -> int | float:
    """JSON form of a rounded value: int when whole, else float."""
    if value == value.to_integral_value():
        return int(value)
    return float(value)
