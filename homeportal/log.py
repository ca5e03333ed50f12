"""Logging: refused requests on one line.

Django logs a request refused with PermissionDenied (403), a bad request (400) and the like at
WARNING with the exception's whole traceback; in normal use that buries the log. This filter,
on the `django.request` logger, rewrites every 4xx record to one line (status, method, path,
user, reason) without the traceback. 5xx records (real errors) keep theirs.
"""

import logging


def _escaped(text: str) -> str:
    """As Django does for request data in log lines: no newline can forge a log entry."""
    return text.encode("unicode_escape").decode("ascii")


def _who(request) -> str:
    user = getattr(request, "user", None)
    try:
        if user is not None and user.is_authenticated:
            return user.get_username()
    except Exception:  # the user could not be loaded (that is not what this line is about)
        return "unknown"
    return "anonymous"


class RefusalsOnOneLine(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        request = getattr(record, "request", None)
        if status is None or not 400 <= status < 500 or request is None:
            return True
        exception = record.exc_info[1] if record.exc_info else None
        if exception is not None:
            reason = str(exception) or type(exception).__name__
        else:
            reason = record.getMessage().split(":", 1)[0]  # "Not Found: /x" → "Not Found"
        record.msg = "%s %s %s by %s: %s"
        record.args = (
            status,
            request.method,
            _escaped(request.get_full_path()),
            _escaped(_who(request)),
            _escaped(reason),
        )
        record.exc_info = None
        record.exc_text = None
        return True
