#!/bin/sh
# Applies migrations, then runs the command (gunicorn by default).
set -e
python manage.py migrate --noinput
exec "$@"
