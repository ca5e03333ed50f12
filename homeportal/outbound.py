"""The one door for server-side HTTP: integrations and app-status pings both go through here.

Every call gets:

- a **total deadline** (`timeout`, seconds): name resolution, connection, TLS, sending, headers
  and body all share it. Each socket operation waits at most the time left, and a watchdog
  shuts the socket down when the deadline passes, so a server that trickles a header byte a
  second cannot hold a worker beyond it;
- a **size cap** (`max_bytes`) on the (decoded) body;
- **no redirects** unless asked (`follow_redirects=N`); each hop followed is checked again;
- the host **resolved once**, under the deadline, and the connection made to that pinned
  address (TLS still checks the certificate against the host name): no DNS-rebinding window;
- an **address policy** applied to what the name resolves to, after normalising IPv4-mapped
  and IPv4-embedding IPv6 forms and the odd IPv4 spellings (`2852039166`, `0xa9fea9fe`,
  `0251.0376.0251.0376`): loopback and private ranges are allowed (home labs live there);
  link-local (169.254.0.0/16 is also the cloud metadata service), the other metadata
  addresses, multicast, broadcast and unspecified/"this network" addresses are refused.

Errors are `OutboundError` subclasses whose `reason` names what happened; their messages
name the host at most, never a header, body or credential.
"""

from __future__ import annotations

import base64
import contextlib
import ipaddress
import json as jsonlib
import re
import socket
import ssl
import threading
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import urllib3
from urllib3 import exceptions as u3
from urllib3.connection import HTTPConnection, HTTPSConnection

USER_AGENT = "homeportal/1"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
CHUNK = 64 * 1024


class OutboundError(Exception):
    reason = "unreachable"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Refused(OutboundError):
    """The address policy refused the destination (link-local, metadata, multicast, ...)."""

    reason = "refused"


class Unreachable(OutboundError):
    """The name does not resolve, the connection was refused or reset, or no HTTP came back."""

    reason = "unreachable"


class Timeout(OutboundError):
    reason = "timeout"


class TLSError(OutboundError):
    reason = "tls"


class TooLarge(OutboundError):
    reason = "too-large"


class BadURL(OutboundError):
    reason = "bad-url"


@dataclass
class Response:
    status: int
    headers: urllib3.HTTPHeaderDict  # case-insensitive; headers.getlist("Set-Cookie")
    body: bytes
    url: str
    cookies: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        """The body as JSON; ValueError when it is not."""
        try:
            return jsonlib.loads(self.body)
        except (UnicodeDecodeError, RecursionError) as error:
            raise ValueError("the body is not JSON") from error

    @property
    def text(self) -> str:
        return self.body.decode(_charset(self.headers.get("Content-Type", "")), "replace")


def _charset(content_type: str) -> str:
    match = re.search(r"charset=\"?([\w.:-]+)", content_type, re.IGNORECASE)
    if match:
        try:
            "".encode(match.group(1))
            return match.group(1)
        except LookupError:
            pass
    return "utf-8"


# --- the address policy -------------------------------------------------------------------

# Cloud metadata services outside link-local (169.254.0.0/16 is refused as a whole).
METADATA = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "fd00:ec2::254",  # AWS IMDS over IPv6
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud
        "168.63.129.16",  # Azure wire server
    )
)
THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")
NAT64 = ipaddress.ip_network("64:ff9b::/96")
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def normalise(ip: Address) -> Address:
    """The IPv4 address an IPv6 form stands for (mapped, compatible, NAT64, 6to4), else itself."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip.sixtofour is not None:
            return ip.sixtofour
        if ip in NAT64 or (ip in IPV4_COMPATIBLE and int(ip) > 1):
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip


def refusal(address: str | Address) -> str:
    """Why the policy refuses this address, or "" when it may be contacted."""
    ip = address if not isinstance(address, str) else ipaddress.ip_address(address.split("%")[0])
    ip = normalise(ip)
    if ip in METADATA:
        return "a cloud metadata address"
    if ip.is_unspecified or (isinstance(ip, ipaddress.IPv4Address) and ip in THIS_NETWORK):
        return "an unspecified address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if isinstance(ip, ipaddress.IPv4Address) and ip == ipaddress.IPv4Address("255.255.255.255"):
        return "the broadcast address"
    return ""


def allowed(address: str | Address) -> bool:
    return not refusal(address)


_NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+))*\.?$", re.IGNORECASE)


def literal_address(host: str) -> Address | None:
    """The address a host written as an address stands for, in any spelling; None for names."""
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        pass
    if _NUMERIC_HOST.match(host):
        # The classic inet_aton forms: 2852039166, 0xa9fea9fe, 0251.0376.0251.0376, 169.254.43518
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            raise BadURL("the address is not a valid IPv4 address") from None
    return None


def resolve(host: str, port: int, deadline: float) -> list[Address]:
    """Every address the host stands for, resolved once within the deadline."""
    literal = literal_address(host)
    if literal is not None:
        return [literal]
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise Timeout(f"no time left to resolve {host}")
    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    try:
        infos = future.result(timeout=remaining)
    except FutureTimeout:
        raise Timeout(f"resolving {host} took too long") from None
    except (OSError, UnicodeError):
        raise Unreachable(f"{host} does not resolve") from None
    finally:
        pool.shutdown(wait=False)
    addresses: list[Address] = []
    for info in infos:
        ip = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if ip not in addresses:
            addresses.append(ip)
    if not addresses:
        raise Unreachable(f"{host} does not resolve")
    return addresses


def check(host: str, addresses: list[Address]) -> None:
    """Refuse the destination when any address it resolves to is refused."""
    for ip in addresses:
        why = refusal(ip)
        if why:
            raise Refused(f"{host} is {why}, which homeportal does not contact")


# --- connections pinned to the resolved address -------------------------------------------


class _Pinned(HTTPConnection):
    """Connects to `pinned` while `host` stays the name (Host header, SNI, certificate)."""

    pinned: str = ""
    watchdog: _Watchdog | None = None

    def _new_conn(self) -> socket.socket:
        try:
            sock = socket.create_connection(
                (self.pinned, self.port), self.timeout, source_address=self.source_address
            )
        except TimeoutError as error:
            raise u3.ConnectTimeoutError(self, "connect timed out") from error
        except OSError as error:
            raise u3.NewConnectionError(self, f"cannot connect: {error.strerror}") from error
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.watchdog is not None:
            self.watchdog.watch(sock)
        return sock


class PinnedHTTPConnection(_Pinned, HTTPConnection):
    pass


class PinnedHTTPSConnection(_Pinned, HTTPSConnection):
    pass


class _Watchdog:
    """Shuts the socket down at the deadline, whatever the connection is waiting for."""

    def __init__(self, seconds: float):
        self.fired = False
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(seconds, 0.0), self._fire)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sock = sock
            if self.fired:
                self._shutdown()

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            self._shutdown()

    def _shutdown(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):  # already closed
                self._sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        self._timer.cancel()


def _split(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path-with-query) of an http(s) address, or BadURL."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise BadURL("the address is not a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise BadURL("only http:// and https:// addresses are contacted")
    host = parts.hostname or ""
    if not host or parts.username is not None or parts.password is not None:
        raise BadURL("the address needs a host and no credentials in it")
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise BadURL("the address contains spaces or control characters")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return scheme, host, port or (443 if scheme == "https" else 80), path


def _one(
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes | None,
    deadline: float,
    max_bytes: int,
    verify_tls: bool,
) -> tuple[int, urllib3.HTTPHeaderDict, bytes]:
    scheme, host, port, path = _split(url)
    addresses = resolve(host, port, deadline)
    check(host, addresses)
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise Timeout(f"{host} took too long")
    watchdog = _Watchdog(remaining)
    if scheme == "https":
        context = ssl.create_default_context()
        if not verify_tls:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        connection: _Pinned = PinnedHTTPSConnection(
            host,
            port,
            timeout=remaining,
            ssl_context=context,
            cert_reqs=ssl.CERT_REQUIRED if verify_tls else ssl.CERT_NONE,
            assert_hostname=None if verify_tls else False,
        )
    else:
        connection = PinnedHTTPConnection(host, port, timeout=remaining)
    connection.pinned = str(addresses[0])
    connection.watchdog = watchdog
    response = None
    try:
        connection.request(
            method, path, body=body, headers=headers, preload_content=False,
            enforce_content_length=True,
        )  # fmt: skip
        connection.timeout = max(deadline - time.monotonic(), 0.001)
        response = connection.getresponse()
        declared = response.headers.get("Content-Length", "")
        if method != "HEAD" and declared.isdigit() and int(declared) > max_bytes:
            raise TooLarge(f"{host} answered more than {max_bytes} bytes")
        chunks: list[bytes] = []
        size = 0
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or watchdog.fired:
                raise Timeout(f"{host} took too long")
            if connection.sock is not None:
                connection.sock.settimeout(left)
            chunk = response.read(CHUNK, decode_content=True)
            if not chunk:
                break
            size += len(chunk)
            if size > max_bytes:
                raise TooLarge(f"{host} answered more than {max_bytes} bytes")
            chunks.append(chunk)
        if watchdog.fired:
            raise Timeout(f"{host} took too long")
        return response.status, response.headers, b"".join(chunks)
    except OutboundError:
        raise
    except (ssl.SSLError, u3.SSLError, ssl.CertificateError) as error:
        if watchdog.fired:
            raise Timeout(f"{host} took too long") from None
        raise TLSError(f"TLS with {host} failed: {_tls_words(error)}") from None
    except u3.NewConnectionError:  # (a subclass of urllib3's connect timeout, for history)
        if watchdog.fired:
            raise Timeout(f"{host} took too long") from None
        raise Unreachable(f"{host} refused the connection or cannot be reached") from None
    except (TimeoutError, u3.TimeoutError):
        raise Timeout(f"{host} took too long") from None
    except (OSError, u3.HTTPError, ValueError) as error:
        if watchdog.fired:
            raise Timeout(f"{host} took too long") from None
        cause = error.__context__ or error
        if isinstance(cause, ssl.SSLError):
            raise TLSError(f"TLS with {host} failed: {_tls_words(cause)}") from None
        raise Unreachable(f"{host} cannot be reached") from None
    except Exception as error:  # http.client's own errors: a broken answer
        if watchdog.fired:
            raise Timeout(f"{host} took too long") from None
        raise Unreachable(f"{host} did not answer HTTP ({type(error).__name__})") from None
    finally:
        watchdog.cancel()
        if response is not None:
            response.close()
        connection.close()


def _tls_words(error: BaseException) -> str:
    if isinstance(error, ssl.SSLCertVerificationError):
        return error.verify_message or "the certificate is not trusted"
    reason = getattr(error, "reason", None)
    return str(reason).lower().replace("_", " ") if reason else "handshake failed"


def request(
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, Any] | None = None,
    json: Any = None,
    data: bytes | str | Mapping[str, Any] | None = None,
    auth: tuple[str, str] | None = None,
    timeout: float = 10.0,
    max_bytes: int = 4 * 1024 * 1024,
    follow_redirects: int = 0,
    verify_tls: bool = True,
) -> Response:
    """One HTTP exchange under the policy above; raises an `OutboundError` subclass."""
    deadline = time.monotonic() + timeout
    method = method.upper()
    if params:
        url += ("&" if urlsplit(url).query else "?") + urlencode(params, doseq=True)
    sent = {"User-Agent": USER_AGENT}
    sent.update(headers or {})
    body: bytes | None = None
    if json is not None:
        body = jsonlib.dumps(json).encode()
        sent.setdefault("Content-Type", "application/json")
    elif isinstance(data, Mapping):
        body = urlencode(data, doseq=True).encode()
        sent.setdefault("Content-Type", "application/x-www-form-urlencoded")
    elif isinstance(data, str):
        body = data.encode()
    elif data is not None:
        body = bytes(data)
    if auth is not None:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        sent["Authorization"] = "Basic " + token
    origin = _split(url)[:3]
    hops = 0
    while True:
        status, received, content = _one(method, url, sent, body, deadline, max_bytes, verify_tls)
        location = received.get("Location")
        if status not in REDIRECT_STATUSES or not location or hops >= follow_redirects:
            return Response(status, received, content, url, _cookies(received))
        hops += 1
        url = urljoin(url, location)
        if status == 303 or (status in (301, 302) and method == "POST"):
            method, body = "GET", None
            sent = {k: v for k, v in sent.items() if k.lower() != "content-type"}
        if _split(url)[:3] != origin:  # credentials stay with the origin they were given for
            sent = {k: v for k, v in sent.items() if k.lower() not in ("authorization", "cookie")}


def _cookies(headers: urllib3.HTTPHeaderDict) -> dict[str, str]:
    jar: dict[str, str] = {}
    for line in headers.getlist("Set-Cookie"):
        try:
            parsed = SimpleCookie()
            parsed.load(line)
        except CookieError:
            continue
        jar.update({name: morsel.value for name, morsel in parsed.items()})
    return jar
