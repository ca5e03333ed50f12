"""Per-page randomness (the CSP nonce, the CSRF token's mask) is read from the operating
system in blocks (homeportal/randomness.py): each byte handed out once, none shared with a
forked process, and no system call per page."""

import os
import random
import re

import pytest

from homeportal import randomness


def test_bytes_are_handed_out_once_in_the_sizes_asked():
    taken = [randomness.random_bytes(n) for n in (16, 40, 1, 5000, 16)]
    assert [len(t) for t in taken] == [16, 40, 1, 5000, 16]
    assert len({t for t in taken if len(t) == 16}) == 2
    assert randomness.token_urlsafe(16) != randomness.token_urlsafe(16)
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", randomness.token_urlsafe(16))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_process_does_not_reuse_its_parent_s_bytes():
    randomness.random_bytes(1)  # the parent holds a block
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # the child: its next bytes, to the parent
        os.close(read)
        os.write(write, randomness.random_bytes(32))
        os._exit(0)
    os.close(write)
    from_child = os.read(read, 32)
    os.close(read)
    os.waitpid(child, 0)
    assert len(from_child) == 32 and from_child != randomness.random_bytes(32)


@pytest.mark.django_db
def test_pages_make_their_nonce_and_token_without_a_system_call_each(people, login, monkeypatch):
    client = login(people.member)
    client.get("/preferences/")
    calls = []
    urandom = os.urandom

    def counting(n):
        calls.append(n)
        return urandom(n)

    monkeypatch.setattr(os, "urandom", counting)
    monkeypatch.setattr(random, "_urandom", counting)  # what `secrets` reads through
    randomness._buffer.clear()
    nonces = set()
    for _ in range(10):
        response = client.get("/preferences/")
        assert response.status_code == 200
        nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
        assert f'nonce="{nonce}"' in response.content.decode()
        nonces.add(nonce)
    assert len(nonces) == 10  # a new one for every page
    assert calls == [randomness.BLOCK]  # one read for ten pages' nonces and tokens
