"""Settings for the benchmarks: homeportal's own, plus a bare page to compare against."""

from homeportal.settings import *  # noqa: F403
from homeportal.settings import BASE_DIR, TEMPLATES

ROOT_URLCONF = "bench.urls"
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], BASE_DIR / "bench" / "templates"]
