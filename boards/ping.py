"""Status pings for app links: is the app answering?

The server asks (never the browser, so internal addresses work and the viewer's network does
not matter), with a short timeout, and remembers the answer for a while in the cache, so a
board seen by many people costs one request per address and interval. Only http:// and
https:// addresses are pinged. Certificates are not verified: a ping only learns whether
something answers, sends nothing and reads nothing back, and home-lab apps often use
self-signed certificates. Redirects are not followed (a redirect is an answer).

Private and loopback addresses are allowed (they are what a home lab runs on), but link-local,
multicast and unspecified ones are refused: 169.254.169.254 is a cloud's metadata service, not
an app. The name is resolved first, under the same timeout (a hanging DNS server cannot hold a
worker), and refused when any of its addresses is one of those.
"""

import hashlib
import http.client
import ipaddress
import logging
import socket
import ssl
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from urllib.parse import urlsplit

from django.core.cache import cache

from boards.safety import safe_web_url

logger = logging.getLogger(__name__)

UP, DOWN, UNKNOWN = "up", "down", "unknown"
TIMEOUT = 3.0  # seconds, per connection step
UP_CACHE_SECONDS = 60
DOWN_CACHE_SECONDS = 30
USER_AGENT = "homeportal-status/1"


def _key(url: str) -> str:
    return "ping:" + hashlib.sha256(url.encode()).hexdigest()[:40]


def _resolve(host: str, timeout: float) -> list[str] | None:
    """The host's addresses, or None when it does not resolve within `timeout`."""
    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(socket.getaddrinfo, host, None, type=socket.SOCK_STREAM)
    try:
        return [info[4][0] for info in future.result(timeout=timeout)]
    except (FutureTimeout, OSError, UnicodeError):
        return None
    finally:
        pool.shutdown(wait=False)


def _forbidden(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return ip.is_link_local or ip.is_multicast or ip.is_unspecified


def ping(url: str, timeout: float = TIMEOUT) -> str:
    """UP when the address answers HTTP (any status below 500, or 501), DOWN otherwise;
    UNKNOWN for addresses that are not pinged at all."""
    url = safe_web_url(url)
    if not url:
        return UNKNOWN
    parts = urlsplit(url)
    addresses = _resolve(parts.hostname or "", timeout)
    if addresses is None:
        return DOWN
    if any(_forbidden(a) for a in addresses):
        logger.warning("status ping refused for %s: link-local or multicast address", url)
        return UNKNOWN
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    try:
        if parts.scheme.lower() == "https":
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            connection = http.client.HTTPSConnection(
                parts.hostname, parts.port, timeout=timeout, context=context
            )
        else:
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        try:
            connection.request("HEAD", path, headers={"User-Agent": USER_AGENT})
            status = connection.getresponse().status
        finally:
            connection.close()
    except (TimeoutError, OSError, http.client.HTTPException, ValueError):
        return DOWN
    return UP if status < 500 or status == 501 else DOWN


def cached_statuses(urls: list[str]) -> dict[str, str]:
    """The remembered status of each address (one cache round-trip); missing ones are absent."""
    keys = {_key(u): u for u in urls if u}
    found = cache.get_many(list(keys))
    return {keys[k]: v for k, v in found.items()}


def status(url: str) -> str:
    """The address's status: remembered, or pinged now (once, whoever else asks meanwhile)."""
    url = safe_web_url(url)
    if not url:
        return UNKNOWN
    key = _key(url)
    known = cache.get(key)
    if known is not None:
        return known
    if not cache.add(key + ":lock", 1, timeout=int(TIMEOUT * 3)):
        return UNKNOWN  # another request is pinging it right now
    try:
        result = ping(url)
        cache.set(key, result, UP_CACHE_SECONDS if result == UP else DOWN_CACHE_SECONDS)
    finally:
        cache.delete(key + ":lock")
    return result
