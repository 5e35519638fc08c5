from django import template

from search.snippets import Highlighter

register = template.Library()


@register.filter
def marked(text: str, highlighter: Highlighter | None) -> str:
    """`text` with a search's words marked (see search.snippets.Highlighter); escaped as any
    other text when there is nothing to mark."""
    return highlighter.mark(text) if highlighter else text
