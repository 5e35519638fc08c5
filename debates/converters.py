import datetime


class IsoDateConverter:
    """YYYY-MM-DD in a URL as a `datetime.date`; an impossible date (2024-02-30) is a 404."""

    regex = r"\d{4}-\d{2}-\d{2}"

    def to_python(self, value):
        return datetime.date.fromisoformat(value)  # ValueError: the pattern does not match

    def to_url(self, value):
        return value.isoformat() if isinstance(value, datetime.date) else str(value)
