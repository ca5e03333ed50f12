"""Client addresses (homeportal/net.py): IPv4-mapped IPv6 peers, as a server bound to `::`
sees IPv4 clients, are the same clients as their IPv4 addresses."""

import ipaddress

import pytest
from django.test import RequestFactory

from homeportal.net import client_ip, peer_address


def request(remote: str, forwarded: str = ""):
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return RequestFactory(REMOTE_ADDR=remote).get("/", headers=headers)


def test_an_ipv4_mapped_peer_is_its_ipv4_address(settings):
    settings.TRUSTED_PROXIES = []
    assert peer_address(request("::ffff:198.51.100.7")) == "198.51.100.7"
    assert client_ip(request("::ffff:198.51.100.7")) == "198.51.100.7"


def test_an_ipv4_mapped_trusted_proxy_is_trusted(settings):
    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.2/32")]
    assert client_ip(request("::ffff:10.0.0.2", "203.0.113.9")) == "203.0.113.9"
    assert client_ip(request("10.0.0.2", "203.0.113.9")) == "203.0.113.9"  # the control


def test_ipv4_mapped_hops_behind_a_proxy_are_ipv4(settings):
    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/24")]
    assert client_ip(request("10.0.0.2", "::ffff:203.0.113.9, ::ffff:10.0.0.3")) == "203.0.113.9"


@pytest.mark.parametrize("remote", ["2001:db8::7", "198.51.100.7", "not-an-address", ""])
def test_other_peers_are_left_as_they_are(settings, remote):
    settings.TRUSTED_PROXIES = []
    assert client_ip(request(remote)) == remote
