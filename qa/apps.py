from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class QaConfig(AppConfig):
    default = True
    name = "qa"
    verbose_name = "Questions and answers"

    def ready(self):
        from qa import caching, errors

        caching.connect_signals()
        errors.connect_signals()


class QaAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with QuickTakes CMS as the default site (see INSTALLED_APPS)."""

    default = False
    default_site = "qa.admin_site.QuickTakesAdminSite"
