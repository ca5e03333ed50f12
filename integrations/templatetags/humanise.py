"""Units people read at a glance: 1.4 GiB, 3.2 MB/s, 3 h 12 min, 2 min ago."""

from django import template
from django.utils.translation import gettext as _

register = template.Library()

BINARY = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
DECIMAL_RATE = ["B/s", "kB/s", "MB/s", "GB/s", "TB/s"]


def _number(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number else None  # NaN is not a number here


def _scaled(number: float, units: list[str], step: float) -> str:
    index = 0
    while abs(number) >= step and index < len(units) - 1:
        number /= step
        index += 1
    if index == 0:
        return f"{int(number)} {units[0]}"
    return f"{number:.1f} {units[index]}" if abs(number) < 100 else f"{number:.0f} {units[index]}"


@register.filter
def bytes_size(value) -> str:
    number = _number(value)
    return "—" if number is None else _scaled(number, BINARY, 1024)


@register.filter
def rate(value) -> str:
    number = _number(value)
    return "—" if number is None else _scaled(number, DECIMAL_RATE, 1000)


@register.filter
def duration(value) -> str:
    """Seconds as "3 h 12 min", "2 d 4 h", "45 s"; "∞" for none."""
    number = _number(value)
    if number is None or number < 0:
        return "∞"
    seconds = int(number)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return _("%(d)s d %(h)s h") % {"d": days, "h": hours}
    if hours:
        return _("%(h)s h %(m)s min") % {"h": hours, "m": minutes}
    if minutes:
        return _("%(m)s min") % {"m": minutes}
    return _("%(s)s s") % {"s": seconds}


@register.filter
def ago(value) -> str:
    """Seconds in the past as "just now", "2 min ago", "3 h ago"."""
    number = _number(value)
    if number is None:
        return ""
    if number < 60:
        return _("just now")
    return _("%(t)s ago") % {"t": duration(number)}


@register.filter
def percent(value) -> str:
    number = _number(value)
    return "—" if number is None else f"{number:.0f} %"


@register.filter
def bar(value) -> int:
    """A percentage clamped to 0..100 for a <meter>/<progress> value."""
    number = _number(value)
    return 0 if number is None else int(max(0.0, min(100.0, number)))


@register.filter
def fraction_percent(value) -> int:
    """0..1 as 0..100."""
    number = _number(value)
    return 0 if number is None else int(max(0.0, min(1.0, number)) * 100)
