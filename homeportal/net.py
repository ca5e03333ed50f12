"""Client addresses. The direct peer is the client unless it is a trusted proxy (TRUSTED_PROXIES),
in which case the right-most X-Forwarded-For address that is not itself a trusted proxy is.

An IPv4 client reaching a dual-stack socket (a server bound to `::`) arrives as an IPv4-mapped
IPv6 address (`::ffff:192.0.2.7`). Every address and network here is normalised to plain IPv4
first, so such a peer is trusted, throttled and logged exactly as `192.0.2.7` would be.
"""

import ipaddress

from django.conf import settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")


def parse_address(text: str) -> Address | None:
    """The address in `text`, IPv4-mapped IPv6 made IPv4; None when it is not an address."""
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def normalize_network(network: Network) -> Network:
    """An IPv4-mapped IPv6 network (`::ffff:10.0.0.0/120`) as the IPv4 network it covers."""
    if network.version == 6 and network.prefixlen >= 96 and network.subnet_of(MAPPED):
        base = network.network_address.ipv4_mapped
        return ipaddress.IPv4Network(f"{base}/{network.prefixlen - 96}")
    return network


def in_networks(text: str, networks) -> bool:
    address = parse_address(text)
    return address is not None and any(address in network for network in networks)


def _trusted(address: str) -> bool:
    return in_networks(address, settings.TRUSTED_PROXIES)


def peer_address(request) -> str:
    """The direct peer (REMOTE_ADDR), IPv4-mapped IPv6 written as IPv4."""
    raw = request.META.get("REMOTE_ADDR", "")
    address = parse_address(raw)
    return str(address) if address is not None else raw


def client_ip(request) -> str:
    address = peer_address(request)
    if not _trusted(address):
        return address
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for hop in reversed([h.strip() for h in forwarded.split(",") if h.strip()]):
        parsed = parse_address(hop)
        if parsed is None:
            break
        if not _trusted(str(parsed)):
            return str(parsed)
        address = str(parsed)
    return address
