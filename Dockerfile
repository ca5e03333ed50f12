# syntax=docker/dockerfile:1
# homeportal: a small image running gunicorn as an unprivileged user, data in /data.

FROM python:3.13-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /app
# python-ldap (the LDAP extra) compiles against OpenLDAP's and SASL's headers; Python's own
# headers come with the official image (python3-dev is installed only where they are missing).
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc libc6-dev libldap-dev libsasl2-dev gettext \
 && (python -c "import os, sys, sysconfig; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()['include'], 'Python.h')))" \
     || apt-get install -y --no-install-recommends python3-dev) \
 && rm -rf /var/lib/apt/lists/*
RUN python -m venv /venv
COPY pyproject.toml README.md ./
RUN /venv/bin/pip install --quiet ".[ldap]" && /venv/bin/pip uninstall --quiet --yes homeportal
COPY . .
# The translations are compiled again from their .po source (gettext's msgfmt), so the image
# never carries a stale .mo.
RUN DATA_DIR=/tmp/build-data SECRET_KEY=build-only-key-never-used-at-runtime-0000000000 \
    sh -c '/venv/bin/python manage.py compilemessages -v0 \
           && /venv/bin/python manage.py collectstatic --noinput -v0' \
 && rm -rf /tmp/build-data build tests bench .ci scripts

FROM python:3.13-slim
ENV PATH=/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DATA_DIR=/data \
    STATIC_ROOT=/app/staticfiles \
    BIND=0.0.0.0:8000
# The libraries python-ldap links to: libldap2 on Debian trixie (OpenLDAP 2.6), libldap-2.5-0
# on bookworm; libsasl2-2; libldap-common for /etc/ldap/ldap.conf.
# hadolint ignore=DL3008
RUN apt-get update \
 && ldap=$(apt-cache show libldap2 >/dev/null 2>&1 && echo libldap2 || echo libldap-2.5-0) \
 && apt-get install -y --no-install-recommends "$ldap" libsasl2-2 libldap-common \
 && apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin
RUN groupadd --system --gid 1000 homeportal \
 && useradd --system --uid 1000 --gid homeportal --home-dir /app --shell /usr/sbin/nologin homeportal \
 && mkdir /data && chown homeportal:homeportal /data
COPY --from=build /venv /venv
COPY --from=build --chown=root:root /app /app
RUN python -c "import ldap, django_auth_ldap, mozilla_django_oidc"
WORKDIR /app
USER 1000:1000
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]
ENTRYPOINT ["/app/docker-entrypoint.sh"]
CMD ["gunicorn", "--config", "homeportal/gunicorn.conf.py", "homeportal.wsgi"]
