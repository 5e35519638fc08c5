from django.urls import path, register_converter

from . import feeds, views
from .converters import IsoDateConverter

register_converter(IsoDateConverter, "isodate")

app_name = "debates"
urlpatterns = [
    path("", views.home, name="home"),
    path("debates/", views.archive, name="archive"),
    path("debates/feed/", feeds.debates_feed, name="feed"),
    path("debates/<int:year>/", views.YearView.as_view(), name="year"),
    path("debates/<int:year>/<int:month>/", views.MonthView.as_view(), name="month"),
    path("debates/<isodate:date>/", views.DayView.as_view(), name="day"),
    path("debates/<isodate:date>/<slug:slug>/", views.debate_detail, name="detail"),
    path("debates/<isodate:date>/<slug:slug>/<int:position>/", views.speech_detail, name="speech"),
    path("members/", views.member_list, name="members"),
    path("members/<slug:slug>/", views.member_detail, name="member"),
    path("members/<slug:slug>/feed/", feeds.member_feed, name="member-feed"),
    path("sources/<str:sha256>/", views.source_file, name="source-file"),
    # An official id ("uk.org.publicwhip/debate/2023-03-28d.809.4") leads to its record here.
    path("record/<path:reference>", views.record, name="record"),
]
