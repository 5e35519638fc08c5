"""The admin's "Turns" page of a debate: merge a speech with the next, or split one at a
sentence, where the turns of a transcript were wrongly inferred (or recorded).

Wired in `DebateAdmin.get_urls` through `AdminSite.admin_view` (staff only, CSRF applies);
editing also needs the permission to change speeches. The writes are
`debates.ingest.editing`'s; this view reads the form and says what happened.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from ..ingest import editing
from ..models import Debate, Speech

PERMISSIONS = ["debates.change_speech", "debates.add_speech", "debates.delete_speech"]
MERGE, SPLIT = "merge", "split"


class TurnEditForm(forms.Form):
    action = forms.ChoiceField(choices=[(MERGE, "Merge with the next"), (SPLIT, "Split")])
    speech = forms.IntegerField(min_value=1)
    sentence = forms.IntegerField(
        min_value=2, required=False, label="New speech starts at sentence"
    )

    def __init__(self, *args, debate: Debate, **kwargs):
        super().__init__(*args, **kwargs)
        self.debate = debate

    def clean(self):
        cleaned = super().clean()
        position = cleaned.get("speech")
        if position is not None:
            cleaned["speech"] = Speech.objects.filter(debate=self.debate, position=position).first()
            if cleaned["speech"] is None:
                raise forms.ValidationError(f"This debate has no speech {position}.")
        if cleaned.get("action") == SPLIT and not cleaned.get("sentence"):
            raise forms.ValidationError("Choose the sentence the new speech starts at.")
        return cleaned


def turns(request, model_admin, object_id: str):
    if not request.user.has_perms(PERMISSIONS):
        raise PermissionDenied
    if not object_id.isdigit():
        raise Http404("There is no such debate.")
    debate = get_object_or_404(Debate, pk=object_id)
    if request.method != "POST":
        return _page(request, model_admin, debate)
    form = TurnEditForm(request.POST, debate=debate)
    if not form.is_valid():
        errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        return _page(request, model_admin, debate, status=400, error=errors)
    speech = form.cleaned_data["speech"]
    try:
        if form.cleaned_data["action"] == MERGE:
            merged = editing.merge_with_next(speech)
            done, position = (
                f"Speeches {merged.position} and {merged.position + 1} merged.",
                merged.position,
            )
        else:
            new = editing.split_at(speech, form.cleaned_data["sentence"])
            done, position = (
                f"Speech {speech.position} split: speech {new.position} is new.",
                new.position,
            )
    except editing.EditError as error:
        return _page(request, model_admin, debate, status=400, error=f"Not done: {error}.")
    messages.success(request, done)
    return redirect(f"{_url(model_admin, debate)}#s{position}")


def _url(model_admin, debate: Debate) -> str:
    opts = model_admin.model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_turns", args=[debate.pk])


def _page(request, model_admin, debate: Debate, *, status: int = 200, error: str = ""):
    opts = model_admin.model._meta
    speeches = list(debate.speeches.select_related("member"))
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": opts,
        "title": f"Turns of {debate.title}",
        "debate": debate,
        "speeches": speeches,
        "error": error,
        "merge": MERGE,
        "split": SPLIT,
    }
    return render(request, "admin/debates/debate/turns.html", context, status=status)
