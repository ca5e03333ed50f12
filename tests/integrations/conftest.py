import pytest

from integrations.models import Integration
from tests.integrations.lab_service import lab_kind, lab_service

lab_kind()  # the test-only kind is registered for every test of this folder

SECRET_USER = "lab-user-Zq81"
SECRET_PASSWORD = "pw-7c1f0e9b-UNIQUE-never-shown"


@pytest.fixture
def lab():
    with lab_service() as (url, state):
        yield url, state


@pytest.fixture
def lab_integration(lab, people):
    url, state = lab
    state.credentials = (SECRET_USER, SECRET_PASSWORD)
    integration = Integration.objects.create(
        name="Lab box", kind="lab", url=url, owner=people.owner
    )
    integration.set_secrets({"username": SECRET_USER, "password": SECRET_PASSWORD})
    return integration
