from django.urls import path

from . import exports, feeds, trends, views

app_name = "search"
urlpatterns = [
    path("", views.results, name="results"),
    path("feed/", feeds.search_feed, name="feed"),
    path("export.csv", exports.export_csv, name="export-csv"),
    path("export.jsonl", exports.export_jsonl, name="export-jsonl"),
]

# Mounted at /trends/ by config.urls.
trends_urlpatterns = (
    [
        path("", trends.trends, name="chart"),
        path("trends.csv", trends.trends_csv, name="csv"),
        path("speakers/", trends.speakers, name="speakers"),
    ],
    "trends",
)
