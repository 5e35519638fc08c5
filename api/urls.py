from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from . import errors, views

router = DefaultRouter(trailing_slash=True)
router.register("debates", views.DebateViewSet, basename="debate")
router.register("speeches", views.SpeechViewSet, basename="speech")
router.register("members", views.MemberViewSet, basename="member")

app_name = "api"
urlpatterns = [
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="schema"),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api:schema", template_name="api/swagger_ui.html"
        ),
        name="docs",
    ),
    path("", include(router.urls)),
    re_path(r"^(?P<path>.*)$", errors.not_found),
]
