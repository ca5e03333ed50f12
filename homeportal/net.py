"""Client addresses. The direct peer is the client unless it is a trusted proxy (TRUSTED_PROXIES),
in which case the right-most X-Forwarded-For address that is not itself a trusted proxy is."""

import ipaddress

from django.conf import settings


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in settings.TRUSTED_PROXIES)


def peer_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


def client_ip(request) -> str:
    address = peer_address(request)
    if not _trusted(address):
        return address
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for hop in reversed([h.strip() for h in forwarded.split(",") if h.strip()]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            break
        if not _trusted(hop):
            return hop
        address = hop
    return address
