"""gunicorn settings, from the environment.

Without REDIS_URL the cache (throttling counters, permission versions) lives in one process's
memory, so the server runs one worker process with threads; more workers need REDIS_URL.
"""

import os

bind = os.environ.get("BIND", "0.0.0.0:8000")
_redis = bool(os.environ.get("REDIS_URL", "").strip())
workers = int(os.environ.get("WEB_CONCURRENCY", "2" if _redis else "1"))
threads = int(os.environ.get("WEB_THREADS", "4"))
if workers > 1 and not _redis:
    raise SystemExit(
        "WEB_CONCURRENCY > 1 needs REDIS_URL: without it each worker would keep its own "
        "login-throttling counters and permission cache."
    )
# Heartbeat files in memory, not on a possibly slow container disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
accesslog = "-" if os.environ.get("ACCESS_LOG", "").lower() in ("1", "true", "yes") else None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
forwarded_allow_ips = os.environ.get("TRUSTED_PROXIES", "") or "127.0.0.1,::1"
# Drop header names with underscores (gunicorn's default since 22, stated here on purpose): WSGI
# would turn a client's `Remote_User` into HTTP_REMOTE_USER, the proxy login's `Remote-User`.
header_map = "drop"
preload_app = True
max_requests = 5000
max_requests_jitter = 500
# gunicorn's runtime control socket is not used, and the image's code folder is read-only.
control_socket_disable = True
