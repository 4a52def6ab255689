from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="qa:learn-index", permanent=False)),
    path(settings.ADMIN_URL, admin.site.urls),
    # markdownx's preview and upload endpoints, staff only, under markdownx's URL names.
    path("", include("qa.admin.editor_views")),
    path("", include("qa.urls")),
]
# Uploaded images in development; production serves MEDIA_ROOT itself (docs/media.md).
urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
