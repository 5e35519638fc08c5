from django.apps import AppConfig


class ParityConfig(AppConfig):
    name = "tests.parity"
    label = "parity"
    default_auto_field = "django.db.models.BigAutoField"
