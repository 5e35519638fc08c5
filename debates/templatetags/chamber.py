from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def query_with(context, **changes):
    """The current query string with some parameters changed, e.g. for pagination links."""
    query = context["request"].GET.copy()
    for key, value in changes.items():
        query[key] = value
    return query.urlencode()


# -- The admin's upload pages ------------------------------------------------------------------

_PLAN_STATUS = {
    "error": "Cannot be loaded",
    "unchanged": "Already loaded: these same bytes",
    "older-version": "Will be skipped: a newer version is loaded",
    "repeats": "Repeats what is loaded: choose below",
    "new": "New",
}
_RESULT_STATUS = {
    "loaded": "Loaded",
    "replaced": "Loaded in place of what was loaded",
    "unchanged": "Already loaded: nothing changed",
    "skipped": "Skipped",
}


@register.filter
def plan_status(plan) -> str:
    if plan.status == "new" and plan.older:
        return "New version: replaces an older one"
    return _PLAN_STATUS.get(plan.status, plan.status)


@register.filter
def result_status(result) -> str:
    return _RESULT_STATUS.get(result.status, result.status)


@register.filter
def house_label(value: str) -> str:
    from debates.models import House

    return House(value).label if value in House.values else value


@register.filter
def kind_label(value: str) -> str:
    from debates.models import DebateKind

    return DebateKind(value).label if value in DebateKind.values else value
