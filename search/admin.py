from django.contrib import admin
from django.http import HttpRequest

from .models import IndexTask


@admin.register(IndexTask)
class IndexTaskAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The index queue, to look at: rows come and go with the writes (search.indexing)."""

    list_display = ["speech_id", "queued_at"]
    date_hierarchy = "queued_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
