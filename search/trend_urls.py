"""Mounted at /trends/ by config.urls."""

from django.urls import path

from . import trends

app_name = "trends"
urlpatterns = [
    path("", trends.trends, name="chart"),
    path("trends.csv", trends.trends_csv, name="csv"),
    path("speakers/", trends.speakers, name="speakers"),
]
