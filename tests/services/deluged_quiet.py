#!/usr/bin/python3
"""Runs deluged with a libtorrent session that starts with DHT, LSD, UPnP and NAT-PMP off.

deluged 2.0 creates its session with libtorrent's defaults (DHT bootstrap look-ups, UPnP and
NAT-PMP discovery, local service discovery, listening on every interface) and only then
applies ``core.conf``: whatever the config says, it reaches outside at every start. This
launcher makes the session start quiet and on loopback, then runs deluged's own entry point
with the same arguments. Run it with the Python that has deluge installed (/usr/bin/python3).
"""

import sys

import libtorrent as lt

QUIET = {
    "enable_dht": False,
    "enable_lsd": False,
    "enable_upnp": False,
    "enable_natpmp": False,
    "dht_bootstrap_nodes": "",
    "listen_interfaces": "127.0.0.1:0",
    "outgoing_interfaces": "lo",
}

_session = lt.session


def quiet_session(settings=None, *args, **kwargs):
    settings = dict(settings or {})
    settings.update(QUIET)
    return _session(settings, *args, **kwargs)


lt.session = quiet_session

if __name__ == "__main__":
    from deluge.core.daemon_entry import start_daemon

    sys.argv[0] = "deluged"
    sys.exit(start_daemon())
