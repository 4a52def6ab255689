from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class QaConfig(AppConfig):
    default = True
    name = "qa"
    verbose_name = "Questions and answers"

    def ready(self):
        from qa.admin import articles  # noqa: F401  (registers the ModelAdmins)
        from qa.serving import changes, unavailable

        changes.connect_signals()
        unavailable.connect_signals()


class QaAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with QuickTakes CMS as the default site (see INSTALLED_APPS)."""

    default = False
    default_site = "qa.admin.site.QuickTakesAdminSite"
