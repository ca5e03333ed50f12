"""A real Home Assistant for the Home Assistant kind's tests.

Home Assistant comes from PyPI (``homeassistant``) and needs Python 3.13, so it runs in its own
virtualenv under ``build/`` (gitignored), made the first time by :func:`ensure_virtualenv` with
a Python 3.13 found on PATH or through pyenv (about ten minutes once; the folder is then
reused). The frontend's package is installed there too: ``frontend`` is one of the
integrations Home Assistant always loads, and without its package it would try to download it
at start. Home Assistant then starts with ``--skip-pip``, so it never downloads anything.

The configuration is minimal (``http`` on loopback, ``api``, helpers, a template sensor and a
template switch, a script and a scene; no ``default_config``). Its ``.storage`` is written
before the start, in the oldest formats Home Assistant still migrates from:

- ``auth``: one administrator with a long-lived access token (a refresh token of type
  ``long_lived_access_token``; the access token is the HS256 JWT Home Assistant would issue
  for it, signed here with the token's ``jwt_key``);
- ``core.area_registry`` and ``core.entity_registry``: two areas, and entities placed in them.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import hmac
import json
import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

from tests.services.daemons import Daemon, http

VERSION = "2025.4.4"
# The requirement of `frontend` (always loaded) that `pip install homeassistant` leaves out.
EXTRA = ["home-assistant-frontend==20250411.0"]
ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / "build" / f"homeassistant-{VERSION}"
INSTALL_TIMEOUT = 40 * 60


def python313() -> str | None:
    """A Python 3.13 interpreter: on PATH, or one of pyenv's."""
    found = shutil.which("python3.13")
    candidates = [found] if found else []
    if shutil.which("pyenv"):
        listed = subprocess.run(["pyenv", "versions", "--bare"], capture_output=True, text=True)
        for version in sorted(listed.stdout.split(), reverse=True):
            if version.startswith("3.13"):
                answer = subprocess.run(
                    ["pyenv", "which", "python"],
                    capture_output=True,
                    text=True,
                    env={**os.environ, "PYENV_VERSION": version},
                )
                if answer.returncode == 0:
                    candidates.append(answer.stdout.strip())
    for candidate in candidates:
        check = subprocess.run(
            [candidate, "-c", "import sys; print(sys.version_info >= (3, 13))"],
            capture_output=True,
            text=True,
        )
        if check.stdout.strip() == "True":
            return candidate
    return None


def ensure_virtualenv() -> str:
    """The `hass` of the cached virtualenv, made now if needed; "" with the reason logged
    to stderr when it cannot be (no Python 3.13, no package index)."""
    hass = VENV / "bin" / "hass"
    ready = VENV / ".complete"
    if ready.exists() and hass.exists():
        return str(hass)
    # One maker at a time: `.ci/run` starts making it in the background while the tests run,
    # and a test that needs it meanwhile waits here for that one to finish.
    VENV.parent.mkdir(parents=True, exist_ok=True)
    with open(VENV.parent / f"homeassistant-{VERSION}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if ready.exists() and hass.exists():
            return str(hass)
        return _make_virtualenv(hass, ready)


def _make_virtualenv(hass: Path, ready: Path) -> str:
    python = python313()
    if python is None:
        return ""
    shutil.rmtree(VENV, ignore_errors=True)
    subprocess.run([python, "-m", "venv", str(VENV)], check=True)
    install = subprocess.run(
        [str(VENV / "bin" / "pip"), "install", "-q", f"homeassistant=={VERSION}", *EXTRA],
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT,
    )
    if install.returncode != 0:
        raise RuntimeError(f"installing Home Assistant failed:\n{install.stderr[-4000:]}")
    ready.write_text(VERSION)
    return str(hass)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs256_jwt(claims: dict[str, Any], key: str) -> str:
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64(json.dumps(claims).encode())
    signature = hmac.new(key.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


CONFIGURATION = """\
homeassistant:
  name: Lab
  latitude: 48.85
  longitude: 2.35
  elevation: 35
  unit_system: metric
  time_zone: UTC
  currency: EUR
  country: FR
http:
  server_host: 127.0.0.1
  server_port: {port}
api:
input_boolean:
  porch_light:
    name: Porch light
  coffee:
    name: Coffee power
  movie_mode:
    name: Movie mode
input_number:
  thermostat:
    name: Thermostat
    min: 10
    max: 30
    step: 0.5
    initial: 21.5
    unit_of_measurement: "°C"
template:
  - sensor:
      - name: Living room temperature
        unique_id: living_room_temperature
        unit_of_measurement: "°C"
        state: "{{{{ states('input_number.thermostat') }}}}"
switch:
  - platform: template
    switches:
      coffee_maker:
        friendly_name: Coffee maker
        unique_id: coffee_maker
        value_template: "{{{{ is_state('input_boolean.coffee', 'on') }}}}"
        turn_on:
          - action: input_boolean.turn_on
            target:
              entity_id: input_boolean.coffee
        turn_off:
          - action: input_boolean.turn_off
            target:
              entity_id: input_boolean.coffee
script:
  good_night:
    alias: Good night
    sequence:
      - action: input_boolean.turn_off
        target:
          entity_id: input_boolean.porch_light
scene:
  - name: Movie
    entities:
      input_boolean.movie_mode: "on"
"""

AREAS = {"living_room": "Living room", "garden": "Garden"}
# (entity id, platform, unique id, area id)
PLACED = [
    ("sensor.living_room_temperature", "template", "living_room_temperature", "living_room"),
    ("switch.coffee_maker", "template", "coffee_maker", "living_room"),
]


EXPECTED = [
    "input_boolean.porch_light",
    "input_number.thermostat",
    "sensor.living_room_temperature",
    "switch.coffee_maker",
    "script.good_night",
    "scene.movie",
]


class HomeAssistant(Daemon):
    name = "homeassistant"
    start_timeout = 180.0  # the first start compiles a few thousand modules

    def __init__(self, hass: str) -> None:
        super().__init__()
        self.hass = hass
        self.token = ""

    def configure(self) -> None:
        assert self.home is not None
        config = self.home / "config"
        storage = config / ".storage"
        storage.mkdir(parents=True)
        (config / "configuration.yaml").write_text(CONFIGURATION.format(port=self.port))
        user_id, token_id, jwt_key = uuid.uuid4().hex, uuid.uuid4().hex, os.urandom(32).hex()
        now = int(time.time())
        self.token = hs256_jwt({"iss": token_id, "iat": now, "exp": now + 10 * 365 * 86400},
                               jwt_key)  # fmt: skip
        created = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(now))
        auth = {
            "users": [{"id": user_id, "group_ids": ["system-admin"], "is_owner": True,
                       "is_active": True, "name": "Lab admin", "system_generated": False,
                       "local_only": False}],
            "groups": [{"id": "system-admin", "name": "Administrators"},
                       {"id": "system-users", "name": "Users"},
                       {"id": "system-read-only", "name": "Read Only"}],
            "credentials": [],
            "refresh_tokens": [{"id": token_id, "user_id": user_id, "client_id": None,
                                "client_name": "homeportal tests", "client_icon": None,
                                "token_type": "long_lived_access_token", "created_at": created,
                                "access_token_expiration": 10 * 365 * 86400,
                                "token": os.urandom(64).hex(), "jwt_key": jwt_key,
                                "last_used_at": None, "last_used_ip": None,
                                "credential_id": None, "version": VERSION}],
        }  # fmt: skip
        areas = [{"id": key, "name": name} for key, name in AREAS.items()]
        entities = [
            {"entity_id": entity, "platform": platform, "unique_id": unique, "area_id": area}
            for entity, platform, unique, area in PLACED
        ]
        for key, data in (
            ("auth", auth),
            ("core.area_registry", {"areas": areas}),
            ("core.entity_registry", {"entities": entities}),
        ):
            (storage / key).write_text(
                json.dumps({"version": 1, "minor_version": 1, "key": key, "data": data})
            )

    def commands(self) -> list[list[str]]:
        assert self.home is not None
        return [[self.hass, "-c", str(self.home / "config"), "--skip-pip", "--log-no-color"]]

    def ready(self, command: list[str]) -> bool:
        """Answering, and every entity of the configuration set up (the template platform
        comes after the API)."""
        try:
            answer = self.api("GET", "/api/states")
        except OSError:
            return False
        if answer.status != 200:
            return False
        known = {state["entity_id"] for state in answer.json()}
        return all(entity in known for entity in EXPECTED)

    def api(self, method: str, path: str, body: Any = None):
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        data = json.dumps(body).encode() if body is not None else None
        return http(method, self.url + path, body=data, headers=headers, timeout=5)

    def state(self, entity_id: str) -> str:
        return self.api("GET", f"/api/states/{entity_id}").json()["state"]

    def call(self, domain: str, service: str, entity_id: str) -> None:
        answer = self.api("POST", f"/api/services/{domain}/{service}", {"entity_id": entity_id})
        assert answer.status == 200, answer.body

    def wait_for_state(self, entity_id: str, wanted: str, timeout: float = 10) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.state(entity_id) == wanted:
                return True
            time.sleep(0.1)
        return False

    def log(self) -> str:
        text = super().log()
        if self.home is not None:
            path = self.home / "config" / "home-assistant.log"
            if path.exists():
                text += path.read_text(errors="replace")[-6000:]
        return text


if __name__ == "__main__":  # `python -m tests.services.homeassistant`: make the virtualenv now
    print(ensure_virtualenv() or "no Python 3.13: the Home Assistant tests will be skipped")
