from django.apps import AppConfig


class LabKindConfig(AppConfig):
    """Registers the test-only `lab` kind in server processes the tests start."""

    name = "tests.integrations"
    label = "lab_kind"

    def ready(self) -> None:
        from tests.integrations.lab_service import lab_kind

        lab_kind()
