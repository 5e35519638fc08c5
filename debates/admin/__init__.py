"""The admin: debates, speeches, members and source files, with two pages of Chamber's own
under them: "Upload transcripts" (`upload_views`, `upload_forms`; the work is done in
`debates.ingest.staging`) and "Unresolved speakers" (`speakers`)."""

from django.contrib import admin
from django.urls import path
from django.utils.html import format_html

from ..models import Debate, Member, MemberIdentifier, SourceFile, Speech
from . import turn_views, upload_views
from .speakers import UnresolvedSpeakersMixin


class MemberIdentifierInline(admin.TabularInline):
    model = MemberIdentifier
    extra = 0


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ["name", "party", "constituency", "house"]
    list_filter = ["house", "party"]
    search_fields = ["name", "sort_name", "constituency", "identifiers__value"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MemberIdentifierInline]


class SpeechInline(admin.StackedInline):
    model = Speech
    extra = 0
    fields = ["position", "speaker_name", "speaker_role", "member", "boundary", "text"]
    readonly_fields = ["boundary"]
    raw_id_fields = ["member"]
    show_change_link = True


@admin.register(Debate)
class DebateAdmin(admin.ModelAdmin):
    list_display = ["title", "date", "house", "kind", "source_file"]
    list_filter = ["house", "kind", "date"]
    search_fields = ["title", "source_reference"]
    date_hierarchy = "date"
    prepopulated_fields = {"slug": ["title"]}
    raw_id_fields = ["source_file"]
    inlines = [SpeechInline]

    def get_urls(self):
        # "Turns": merge or split speeches (turn_views.py, templates/admin/debates/debate/).
        def turns(request, object_id):
            return turn_views.turns(request, self, object_id)

        return [
            path(
                "<path:object_id>/turns/",
                self.admin_site.admin_view(turns),
                name="debates_debate_turns",
            ),
            *super().get_urls(),
        ]


@admin.register(Speech)
class SpeechAdmin(UnresolvedSpeakersMixin, admin.ModelAdmin):  # + unresolved-speakers page
    list_display = ["__str__", "speaker_name", "member", "debate_date"]
    list_filter = ["debate__house"]
    list_select_related = ["debate", "member"]
    search_fields = ["speaker_name", "text", "debate__title"]
    raw_id_fields = ["debate", "member"]

    @admin.display(ordering="debate__date", description="date")
    def debate_date(self, speech):
        return speech.debate.date


# -- Upload transcripts (upload_views.py, templates/admin/debates/upload*.html) ---------------


class UploadTranscriptsMixin:
    """Adds the "Upload transcripts" pages under the source files' admin."""

    def get_urls(self):
        def view(function):
            return self.admin_site.admin_view(lambda request: function(request, self))

        return [
            path("upload/", view(upload_views.upload), name="debates_sourcefile_upload"),
            path(
                "upload/confirm/",
                view(upload_views.confirm),
                name="debates_sourcefile_upload_confirm",
            ),
            *super().get_urls(),
        ]


# -- Source files ----------------------------------------------------------------------------


@admin.register(SourceFile)
class SourceFileAdmin(UploadTranscriptsMixin, admin.ModelAdmin):
    list_display = ["name", "format", "size", "loaded_at", "short_sha256"]
    list_filter = ["format"]
    search_fields = ["name", "sha256"]
    readonly_fields = ["name", "sha256", "size", "format", "loaded_at", "download"]
    exclude = ["raw"]

    @admin.display(description="sha256")
    def short_sha256(self, source):
        return source.sha256[:12]

    @admin.display(description="raw file")
    def download(self, source):
        return format_html(
            '<a href="{}">Download the file as loaded</a>', source.get_absolute_url()
        )

    def has_add_permission(self, request):
        return False  # files arrive through load_transcripts (and the upload page)
