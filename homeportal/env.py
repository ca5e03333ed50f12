"""Small strict readers for settings taken from the environment.

Each helper returns a typed value or raises ImproperlyConfigured naming the variable, so a typo
stops start-up instead of silently running with a default.
"""

import ipaddress
import os
import re
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from homeportal.net import normalize_network

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}
DURATION = re.compile(r"^\s*(\d+)\s*([smhdw]?)\s*$")
UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}.")


def env_int(name: str, default: int, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}.")
    return value


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_choice(name: str, choices: tuple[str, ...], default: str) -> str:
    value = env_str(name, default).lower()
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, not {value!r}.")
    return value


def env_secret(name: str, default: str = "") -> str:
    """Reads NAME, or the file named by NAME_FILE (Docker secrets); never both."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name and name in os.environ:
        raise ImproperlyConfigured(f"Set {name} or {name}_FILE, not both.")
    if file_name:
        try:
            return Path(file_name).read_text().strip()
        except OSError as error:
            raise ImproperlyConfigured(f"{name}_FILE cannot be read: {error}.") from None
    return os.environ.get(name, default).strip()


def parse_duration(text: str) -> int:
    """Homarr's duration format: `30d`, `12h`, `90m`, `45s`, `2w`; a bare number is seconds."""
    match = DURATION.match(text)
    if not match:
        raise ValueError(text)
    return int(match.group(1)) * UNIT_SECONDS[match.group(2)]


def env_duration(name: str, default: str) -> int:
    raw = env_str(name, default)
    try:
        seconds = parse_duration(raw)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must be a duration like 30d, 12h, 90m or a number of seconds, not {raw!r}."
        ) from None
    if seconds <= 0:
        raise ImproperlyConfigured(f"{name} must be longer than zero.")
    return seconds


def env_networks(name: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """CIDR networks (a bare address is a single host); IPv4-mapped IPv6 ones as IPv4."""
    networks = []
    for item in env_list(name):
        try:
            networks.append(normalize_network(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} must be a comma-separated list of addresses or CIDR networks; "
                f"{item!r} is neither."
            ) from None
    return networks
