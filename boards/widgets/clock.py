"""Clock: the time (and date) in a chosen time zone, 12 or 24 hours. The server renders the
time at page load; a small script keeps it ticking."""

import time
import zoneinfo
from datetime import datetime
from functools import cache, lru_cache

from django import forms
from django.conf import settings
from django.utils import formats
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts import preferences
from boards.widgets.base import WidgetForm, WidgetKind, register, title_field


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    names = sorted(zoneinfo.available_timezones() - {"localtime"})
    return [(name, name.replace("_", " ")) for name in names]


class ClockForm(WidgetForm):
    title = title_field()
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices)
    hour12 = forms.ChoiceField(
        label=_("Hours"), required=False,
        choices=[("", _("As each viewer prefers")), ("24", _("24 hours")),
                 ("12", _("12 hours (AM/PM)"))],
    )  # fmt: skip
    show_seconds = forms.BooleanField(label=_("Show seconds"), required=False)
    show_date = forms.BooleanField(label=_("Show the date"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].initial = settings.TIME_ZONE

    @classmethod
    def data_from_options(cls, options: dict) -> dict:
        return super().data_from_options({**options, "hour12": hour_cycle(options)})

    @classmethod
    def initial_from_options(cls, options: dict) -> dict:
        return {**options, "hour12": hour_cycle(options)}


def hour_cycle(options: dict) -> str:
    """ "12", "24" or "" (the viewer's choice). Older clocks stored a tick box: ticked was
    12 hours, unticked said nothing."""
    value = options.get("hour12")
    if value is True:
        return "12"
    return value if value in ("12", "24") else ""


def load(items, request) -> list:
    now = time.time()
    language = get_language()
    viewers = preferences.time_format()
    minute = int(now // 60) * 60
    result = []
    for item in items:
        options = item.options
        seconds = bool(options.get("show_seconds"))
        # The hours are the widget's, else the viewer's: part of the live slot, never of the
        # board's shared body (boards/render.py).
        cycle = hour_cycle(options) or viewers
        # The shown text changes once a minute (a second with seconds shown): made once per
        # process for that moment, whoever asks.
        moment = int(now) if seconds else minute
        result.append(
            _shown(
                str(options.get("time_zone") or settings.TIME_ZONE),
                cycle,
                seconds,
                bool(options.get("show_date")),
                language,
                moment,
            )
        )
    return result


@lru_cache(maxsize=256)
def _shown(time_zone: str, cycle: str, seconds: bool, show_date: bool, language, moment: int):
    utc = datetime.fromtimestamp(moment, tz=zoneinfo.ZoneInfo("UTC"))
    try:
        local = utc.astimezone(zoneinfo.ZoneInfo(time_zone))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        local = utc
    hour12 = cycle == "12"
    pattern = ("g:i" if hour12 else "H:i") + (":s" if seconds else "") + (" A" if hour12 else "")
    return {
        "time": formats.date_format(local, pattern),
        "date": formats.date_format(local, "l j F Y") if show_date else "",
        "iso": local.isoformat(),
        "hour_cycle": cycle,
    }


KIND = register(
    WidgetKind(
        name="clock",
        label=_("Clock"),
        description=_("The time and date in any time zone."),
        form_class=ClockForm,
        template="boards/widgets/clock.html",
        default_size=(2, 1),
        min_size=(2, 1),
        loader=load,
    )
)
