from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="qa:learn-index", permanent=False)),
    path(settings.ADMIN_URL, admin.site.urls),
    path("markdownx/", include("markdownx.urls")),
    path("", include("qa.urls")),
]
