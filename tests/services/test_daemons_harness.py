"""The daemon harness's own pieces that need no daemon: bencoding and torrent files.

(That the daemons accept these torrents, report the same info hashes and see the files as
complete is checked by tests/integrations/kinds against each real daemon.)
"""

from __future__ import annotations

import hashlib

import pytest

from .daemons import TRACKER, bencode, make_torrent


def test_bencode_follows_bep_3():
    assert bencode(42) == b"i42e"
    assert bencode(-3) == b"i-3e"
    assert bencode("spam") == b"4:spam"
    assert bencode(b"") == b"0:"
    assert bencode(["spam", 1]) == b"l4:spami1ee"
    # Keys sorted as raw bytes, whatever order they were given in.
    assert bencode({"b": 1, "a": [b"x"]}) == b"d1:al1:xe1:bi1ee"


@pytest.mark.parametrize("value", [True, 1.5, None, object()])
def test_bencode_refuses_what_it_cannot_encode(value):
    with pytest.raises(TypeError):
        bencode(value)


def test_make_torrent_writes_the_files_and_describes_them(tmp_path):
    files = {"b.txt": b"x" * 20_000, "sub/a.txt": b"hello"}
    torrent = make_torrent(tmp_path, "Sample", files, piece_length=16384)
    assert (tmp_path / "Sample" / "sub" / "a.txt").read_bytes() == b"hello"
    assert torrent.size == 20_005
    assert torrent.metainfo.startswith(b"d8:announce" + bencode(TRACKER))
    info = torrent.metainfo[torrent.metainfo.index(b"4:infod") + len(b"4:info") : -1]
    assert hashlib.sha1(info).hexdigest() == torrent.info_hash
    data = b"x" * 20_000 + b"hello"  # files in path order, pieces across file boundaries
    pieces = hashlib.sha1(data[:16384]).digest() + hashlib.sha1(data[16384:]).digest()
    assert bencode(pieces) in info
