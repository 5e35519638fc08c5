"""The anonymous rate limit, read from settings at each request (DRF's own class reads its
rates once, at import, so a test could not lower them)."""

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle


class AddressRateThrottle(AnonRateThrottle):
    """Requests per address (`CHAMBER_API_RATE`, e.g. "120/min"); past it, 429 with
    Retry-After."""

    def get_rate(self) -> str:
        return str(settings.CHAMBER_API_RATE)
