"""`{% related_speeches speech %}`: the "Related speeches" section of a speech page (see
search.related). The page asks here, so that `debates` does not import `search`."""

from typing import Any

from django import template

from debates.models import Speech
from search.related import related_speeches as find_related

register = template.Library()


@register.inclusion_tag("search/_related_speeches.html")
def related_speeches(speech: Speech) -> dict[str, Any]:
    """Nothing at all (no heading) when there are none."""
    return {"related": find_related(speech)}
