"""The filters of the debates and members lists (django-filter: a bad value is a 400 that
names the parameter)."""

import django_filters
from rest_framework.exceptions import ValidationError

from debates.choices import DebateKind, House
from debates.models import Debate, Member


class DebateFilter(django_filters.FilterSet):  # type: ignore[misc]  # django-filter is untyped
    date_from = django_filters.DateFilter(
        field_name="date", lookup_expr="gte", label="On or after this day (YYYY-MM-DD)."
    )
    date_to = django_filters.DateFilter(
        field_name="date", lookup_expr="lte", label="On or before this day (YYYY-MM-DD)."
    )
    house = django_filters.ChoiceFilter(choices=House.choices)
    kind = django_filters.ChoiceFilter(choices=DebateKind.choices)

    class Meta:
        model = Debate
        fields = ["date_from", "date_to", "house", "kind"]

    def filter_queryset(self, queryset):  # type: ignore[no-untyped-def]  # django-filter is untyped
        start, end = self.form.cleaned_data.get("date_from"), self.form.cleaned_data.get("date_to")
        if start and end and start > end:
            raise ValidationError({"date_to": ["The “to” date is before the “from” date."]})
        return super().filter_queryset(queryset)


class MemberFilter(django_filters.FilterSet):  # type: ignore[misc]  # django-filter is untyped
    house = django_filters.ChoiceFilter(choices=House.choices)
    party = django_filters.CharFilter(label="Party, exactly as the member list gives it.")

    class Meta:
        model = Member
        fields = ["house", "party"]
