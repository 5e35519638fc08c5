"""The admin's unresolved-speakers page: names printed in speeches that resolve to no member,
and a form to attribute them to one (see `debates.ingest.speakers` for what resolves by itself)."""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.admin.widgets import ForeignKeyRawIdWidget
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Max, Min
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import urlencode

from .. import signals
from ..ingest.speakers import is_role_only
from ..models import Debate, Member, Speech
from ..words import plural


class AttributeSpeakerForm(forms.Form):
    speaker_name = forms.CharField(max_length=300, widget=forms.HiddenInput)
    member = forms.ModelChoiceField(queryset=Member.objects.all(), label="Member")
    debate = forms.ModelChoiceField(
        queryset=Debate.objects.all(),
        required=False,
        label="Only in debate",
        help_text="Leave empty to attribute the name in every debate.",
    )

    def __init__(self, *args, admin_site, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("member", "debate"):
            relation = Speech._meta.get_field(name).remote_field
            self.fields[name].widget = ForeignKeyRawIdWidget(relation, admin_site)

    def speeches(self):
        """The unresolved speeches this attribution is about."""
        speeches = Speech.objects.filter(
            member__isnull=True, speaker_name=self.cleaned_data["speaker_name"]
        )
        if self.cleaned_data.get("debate"):
            speeches = speeches.filter(debate=self.cleaned_data["debate"])
        return speeches

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not self.speeches().exists():
            where = " in that debate" if cleaned.get("debate") else ""
            raise forms.ValidationError(
                f"No unresolved speeches are printed as {cleaned['speaker_name']!r}{where}."
            )
        return cleaned


class UnresolvedSpeakersMixin:
    """For SpeechAdmin: /admin/debates/speech/unresolved-speakers/."""

    def get_urls(self):
        view = self.admin_site.admin_view(self.unresolved_speakers_view)
        return [
            path("unresolved-speakers/", view, name="debates_speech_unresolved_speakers"),
            *super().get_urls(),
        ]

    def unresolved_speakers_view(self, request):
        if not self.has_change_permission(request):
            raise PermissionDenied
        status, form = 200, None
        if request.method == "POST":
            form = AttributeSpeakerForm(request.POST, admin_site=self.admin_site)
            if form.is_valid():
                count = attribute(form.speeches(), form.cleaned_data["member"])
                messages.success(
                    request,
                    f"{plural(count, 'speech')} printed as"
                    f" “{form.cleaned_data['speaker_name']}” now attributed to"
                    f" {form.cleaned_data['member']}.",
                )
                return HttpResponseRedirect(request.get_full_path())
            status = 400
            for error in form.non_field_errors():
                messages.error(request, error)
            for name, errors in form.errors.items():
                if name != "__all__":
                    messages.error(request, f"{form.fields[name].label or name}: {errors[0]}")
        page = Paginator(unresolved_speakers(), 100).get_page(request.GET.get("page"))
        changelist = reverse("admin:debates_speech_changelist")
        for number, row in enumerate(page, start=1):
            row["form"] = AttributeSpeakerForm(
                initial={"speaker_name": row["speaker_name"]},
                admin_site=self.admin_site,
                auto_id=f"id_%s_{number}",  # one form per row: ids kept apart
            )
            query = urlencode({"speaker_name": row["speaker_name"], "member__isnull": "True"})
            row["changelist_url"] = f"{changelist}?{query}"
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Unresolved speakers",
            "page": page,
            "failed": form if status == 400 else None,
        }
        return TemplateResponse(
            request, "admin/debates/speech/unresolved_speakers.html", context, status=status
        )


def unresolved_speakers() -> list[dict[str, Any]]:
    """Names printed that resolve to no member, most speeches first, in three queries:
    each with its count, first and last date, constituencies as printed and an example."""
    unresolved = Speech.objects.filter(member__isnull=True).exclude(speaker_name="")
    rows: list[dict[str, Any]] = [
        dict(row)  # a plain dict: constituencies and an example are added below
        for row in unresolved.values("speaker_name")
        .annotate(
            count=Count("id"),
            first=Min("debate__date"),
            last=Max("debate__date"),
            example_id=Min("id"),
        )
        .order_by("-count", "speaker_name")
        if not is_role_only(row["speaker_name"])
    ]
    places: dict[str, list[str]] = {}
    for name, place in (
        unresolved.exclude(speaker_constituency="")
        .values_list("speaker_name", "speaker_constituency")
        .distinct()
        .order_by("speaker_name", "speaker_constituency")
    ):
        places.setdefault(name, []).append(place)
    examples = Speech.objects.with_context().in_bulk([row["example_id"] for row in rows])
    for row in rows:
        row["constituencies"] = places.get(row["speaker_name"], [])
        row["example"] = examples[row["example_id"]]
    return rows


@transaction.atomic
def attribute(speeches, member: Member) -> int:
    """Attribute these speeches to a member in one UPDATE; the index follows on commit."""
    ids = list(speeches.values_list("id", flat=True))
    Speech.objects.filter(id__in=ids).update(member=member)
    signals.speeches_changed.send(sender=Speech, speech_ids=ids)
    return len(ids)
