"""However many people watch, across server processes, an upstream sees one request per
refresh: 50 concurrent viewers on two gunicorn processes sharing Redis (runs with REDIS_URL)."""

import os
import threading
import urllib.request

import pytest
from django.conf import settings

from boards.models import Item
from integrations.models import Integration
from tests.boards.factories import add_section, make_board
from tests.integrations.lab_service import lab_service
from tests.integrations.servers import app_servers

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL"), reason="needs REDIS_URL: processes share the cache"
    ),
]


def test_fifty_viewers_on_two_processes_cause_one_upstream_request(people):
    assert "redis" in settings.CACHES["default"]["BACKEND"].lower()
    with lab_service() as (url, state):
        state.delay = 0.5  # the answer takes a while: every viewer arrives during the fetch
        integration = Integration.objects.create(name="Lab", kind="lab", url=url,
                                                 owner=people.owner)  # fmt: skip
        board = make_board("public-lab", people.owner, public=True)
        item = Item.objects.create(
            board=board, section=add_section(board), kind="downloads", w=4, h=3, nw=4, nh=3,
            options={"title": "", "integration": integration.pk},
        )  # fmt: skip
        with app_servers(2) as servers:
            start = threading.Barrier(50)
            bodies: list[str] = []

            def viewer(n: int):
                target = f"{servers[n % 2]}/boards/public-lab/items/{item.pk}/data/"
                start.wait()
                with urllib.request.urlopen(target, timeout=30) as answer:
                    bodies.append(answer.read().decode())

            threads = [threading.Thread(target=viewer, args=(n,)) for n in range(50)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    assert len(bodies) == 50
    assert all("debian-13.iso" in body for body in bodies)
    assert state.count("/api/torrents") == 1
