from django import template

from debates import signals, words

register = template.Library()


@register.simple_tag(takes_context=True)
def query_with(context, **changes):
    """The current query string with some parameters changed, e.g. for pagination links."""
    query = context["request"].GET.copy()
    for key, value in changes.items():
        query[key] = value
    return query.urlencode()


# How counts and sizes read (debates.words), as on the command line:
# {{ n|plural:"speech" }} is "2 speeches", {{ n|noun:"speech" }} "speeches", {{ b|size }} "1.2 MB".
register.filter("plural", words.plural)
register.filter("noun", words.noun)
register.filter("size", words.size)


@register.inclusion_tag("admin/debates/_status.html")
def write_status():
    """What follows the writes (the search index) says of how far behind it is, for the
    admin: one module each. Nothing when no app follows them."""
    return {"notices": signals.status(sender=None)}
