from django.contrib import admin
from django.urls import include, path

from search.urls import trends_urlpatterns

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls")),
    path("search/", include("search.urls")),
    path("trends/", include(trends_urlpatterns)),
    path("", include("debates.urls")),
]
