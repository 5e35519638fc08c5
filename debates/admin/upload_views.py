"""The admin's "Upload transcripts" pages: choose files, preview, confirm.

Wired in `SourceFileAdmin.get_urls` through `AdminSite.admin_view`, so only staff reach
them and CSRF applies; uploading also needs the permission to add debates and speeches.
The work is done in `debates.ingest.staging`.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from ..ingest import staging
from ..ingest.loading import LoadError
from .upload_forms import REPLACE, SKIP, ConfirmForm, UploadForm

PERMISSIONS = ["debates.add_sourcefile", "debates.add_debate", "debates.add_speech"]


def upload(request, model_admin):
    _check_permission(request)
    form = UploadForm(request.POST, request.FILES) if request.method == "POST" else UploadForm()
    if not form.is_bound:
        return _page(request, model_admin, "upload.html", form=form)
    # Bad input is answered 400, with the form saying what is wrong.
    if not form.is_valid():
        return _page(request, model_admin, "upload.html", status=400, form=form)
    transcripts, metadata = form.cleaned_data["files"], form.metadata()
    preview = staging.preview(transcripts, metadata)
    if preview.errors:
        form.add_preview_errors(preview)  # nothing is kept: choose the files again
        return _page(request, model_admin, "upload.html", status=400, form=form, preview=preview)
    token = staging.stage(transcripts, metadata, user=request.user)
    confirm_form = ConfirmForm(initial={"token": token}, preview=preview)
    return _preview_page(request, model_admin, confirm_form)


@require_POST
def confirm(request, model_admin):
    _check_permission(request)
    token = request.POST.get("token", "")
    if not token:
        return _refused(
            request,
            model_admin,
            "There is nothing to confirm: files are loaded only after their preview. Upload"
            " them and preview them first.",
        )
    try:
        staged = staging.unstage(token, user=request.user)
    except staging.StagingError as error:
        return _refused(request, model_admin, str(error))
    if "discard" in request.POST:
        staging.discard(staged.key)
        messages.info(request, "The upload was discarded; nothing was loaded.")
        return redirect(_upload_url(model_admin))
    # Planned again from the kept bytes: the database may have changed since the preview.
    preview = staging.preview(staged.transcripts, staged.metadata)
    form = ConfirmForm(request.POST, preview=preview)
    if preview.errors or not form.is_valid():
        return _preview_page(request, model_admin, form, status=400)
    try:
        confirmed = staging.confirm(staged, replace=form.chosen(REPLACE), skip=form.chosen(SKIP))
    except LoadError as error:
        return _preview_page(request, model_admin, form, error=str(error), status=400)
    except DatabaseError as error:
        return _preview_page(
            request,
            model_admin,
            form,
            error=f"The database refused the upload ({error}); nothing was loaded. Try again,"
            " or tell whoever looks after Chamber.",
            status=503,
        )
    return _page(request, model_admin, "upload_done.html", confirmed=confirmed)


def _check_permission(request) -> None:
    if not request.user.has_perms(PERMISSIONS):
        raise PermissionDenied


def _preview_page(request, model_admin, form: ConfirmForm, *, error: str = "", status=200):
    return _page(
        request,
        model_admin,
        "upload_preview.html",
        status=status,
        form=form,
        preview=form.preview,
        files=[
            (plan, form.choice_field(n) if n in form.preview.choices_needed else None)
            for n, plan in enumerate(form.preview.plans)
        ],
        error=error,
    )


def _refused(request, model_admin, message: str):
    return _page(request, model_admin, "upload_refused.html", status=400, message=message)


def _page(request, model_admin, template: str, *, status: int = 200, **context):
    opts = model_admin.model._meta
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": opts,
        "title": "Upload transcripts",
        "upload_url": _upload_url(model_admin),
        "confirm_url": reverse(f"admin:{opts.app_label}_{opts.model_name}_upload_confirm"),
        **context,
    }
    return render(request, f"admin/debates/{template}", context, status=status)


def _upload_url(model_admin) -> str:
    opts = model_admin.model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_upload")
