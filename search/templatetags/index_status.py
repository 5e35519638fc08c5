"""`{% index_status %}`: how far the search index is behind the database, for the admin
(its index page and an upload's confirmation), read from the queue (search.indexing)."""

from typing import Any

from django import template

from search.indexing import queue_status

register = template.Library()


@register.inclusion_tag("search/_index_status.html")
def index_status() -> dict[str, Any]:
    waiting, oldest = queue_status()
    return {"waiting": waiting, "oldest": oldest}
