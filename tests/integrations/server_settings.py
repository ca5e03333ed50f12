"""Settings for server processes started by the tests: the test run's own database and cache
prefix (passed in the environment), and the test-only `lab` integration kind."""

import os

from tests.settings import *  # noqa: F403
from tests.settings import CACHES, DATABASES, INSTALLED_APPS

DATABASES["default"]["NAME"] = os.environ["TEST_DATABASE_NAME"]
CACHES["default"]["KEY_PREFIX"] = os.environ["TEST_CACHE_PREFIX"]
INSTALLED_APPS = [*INSTALLED_APPS, "tests.integrations.apps.LabKindConfig"]
