"""Settings of the servers started by tests/services/test_two_servers.py: the test suite's own
(fast password hasher, static files from the source folders), with the database and the cache
prefix the servers are told, so that every server of the group shares them."""

import os

from tests.settings import *  # noqa: F403

CACHES["default"]["KEY_PREFIX"] = os.environ["CLUSTER_CACHE_PREFIX"]  # noqa: F405
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405 - the test drops the database at the end
