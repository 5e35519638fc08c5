app_name = "debates"
urlpatterns = []
