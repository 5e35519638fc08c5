from django import template

from search import snippets
from search.snippets import Highlighter

register = template.Library()


@register.filter
def marked(text: str, highlighter: Highlighter | None) -> str:
    """`text` with a search's words marked (see search.snippets.Highlighter); escaped as any
    other text when there is nothing to mark."""
    return highlighter.mark(text) if highlighter else text


@register.simple_tag
def highlighter_for(query: str | None) -> Highlighter | None:
    """`{% highlighter_for request.GET.highlight as highlighter %}`: what a debate or speech
    page marks for the search it was opened from (`?highlight=`), one per page (it counts
    what it has marked). The pages ask here, so that `debates` does not import `search`."""
    return snippets.highlighter_for(query or "")
