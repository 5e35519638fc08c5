from django.urls import path

from . import exports, feeds, suggestions, views

app_name = "search"
urlpatterns = [
    path("", views.results, name="results"),
    path("feed/", feeds.search_feed, name="feed"),
    path("export.csv", exports.export_csv, name="export-csv"),
    path("export.jsonl", exports.export_jsonl, name="export-jsonl"),
    path("speakers/", suggestions.speakers, name="speakers"),
]
