from django.contrib import admin
from django.urls import include, path

from .views import favicon, healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls")),
    path("search/", include("search.urls")),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon),
    path("trends/", include("search.trend_urls")),
    path("", include("debates.urls")),
]
handler500 = "config.views.server_error"
