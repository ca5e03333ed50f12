"""Status pings for app links: is the app answering?

The server asks (never the browser, so internal addresses work and the viewer's network does
not matter), through the outbound door (`homeportal.outbound`): one total deadline for the
whole ping, the address resolved once and pinned, and the door's address policy (loopback and
private addresses allowed, link-local, metadata, multicast and unspecified ones refused, in
every spelling). The answer is remembered for a while in the cache, so a board seen by many
people costs one request per address and interval. Only http:// and https:// addresses are
pinged. Certificates are not verified: a ping only learns whether something answers, sends
nothing and reads nothing back, and home-lab apps often use self-signed certificates.
Redirects are not followed (a redirect is an answer).
"""

import hashlib
import logging

from boards.safety import safe_web_url
from homeportal import outbound, shared_fetch

logger = logging.getLogger(__name__)

UP, DOWN, UNKNOWN = "up", "down", "unknown"
TIMEOUT = 3.0  # seconds, for the whole ping
UP_CACHE_SECONDS = 60
DOWN_CACHE_SECONDS = 30


def _key(url: str) -> str:
    return "ping:" + hashlib.sha256(url.encode()).hexdigest()[:40]


def ping(url: str, timeout: float = TIMEOUT) -> str:
    """UP when the address answers HTTP (any status below 500, or 501), DOWN otherwise;
    UNKNOWN for addresses that are not pinged at all."""
    url = safe_web_url(url)
    if not url:
        return UNKNOWN
    try:
        answer = outbound.request("HEAD", url, timeout=timeout, max_bytes=1024, verify_tls=False)
    except (outbound.Refused, outbound.BadURL) as refused:
        logger.warning("status ping refused: %s", refused.message)
        return UNKNOWN
    except outbound.OutboundError:
        return DOWN
    return UP if answer.status < 500 or answer.status == 501 else DOWN


def _ttl(result: str) -> int:
    return UP_CACHE_SECONDS if result == UP else DOWN_CACHE_SECONDS


def cached_statuses(urls: list[str]) -> dict[str, str]:
    """The remembered status of each address (one cache round-trip); missing ones are absent."""
    keys = {_key(u): u for u in urls if u}
    return {keys[k]: entry.value for k, entry in shared_fetch.peek_many(list(keys)).items()}


def status(url: str) -> str:
    """The address's status: remembered, or pinged now by one process at a time (the shared
    path of integration data); whoever asks while it runs gets the last status or UNKNOWN."""
    url = safe_web_url(url)
    if not url:
        return UNKNOWN
    entry = shared_fetch.shared_fetch(_key(url), lambda: ping(url), _ttl, lock_seconds=TIMEOUT)
    return entry.value if entry is not None else UNKNOWN
