#!/bin/sh
# Applies migrations and prunes expired sessions and old records, then runs the command
# (gunicorn by default).
set -e
python manage.py migrate --noinput
python manage.py prune
exec "$@"
