"""Browser tests. Playwright's sync API runs an event loop in the test thread, which makes
Django refuse synchronous ORM calls there; the calls the tests make are synchronous and safe,
so the check is turned off for the run that includes these tests."""

import os

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
