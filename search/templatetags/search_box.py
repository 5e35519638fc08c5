"""`{% search_box %}`: the small search forms in the header, the home page, the 404 page and
a member's page, rendered from `SpeechSearchForm`'s own query field (its length limit, its
type and its label), so that they cannot drift from the search page's form."""

from typing import Any

from django import template

from search.forms import SpeechSearchForm

register = template.Library()


@register.inclusion_tag("search/_search_form.html")
def search_box(
    field_id: str,
    *,
    label: str = "",
    placeholder: str = "",
    compact: bool = False,
    member: int | None = None,
    css_class: str = "",
) -> dict[str, Any]:
    """A search form whose query box has the id `field_id` (unique on the page); `member`
    keeps the search to one member's speeches."""
    # No automatic id, so no aria-describedby for help that only the search page shows.
    query = SpeechSearchForm(auto_id=False)["q"]
    attrs: dict[str, str | bool] = {"id": field_id}
    if placeholder:
        attrs["placeholder"] = placeholder
    return {
        "field_id": field_id,
        "label": label or query.label,
        "input": query.as_widget(attrs=attrs),
        "compact": compact,
        "member": member,
        "css_class": css_class,
    }
