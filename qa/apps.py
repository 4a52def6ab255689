from django.apps import AppConfig


class QaConfig(AppConfig):
    name = "qa"
    verbose_name = "Questions and answers"

    def ready(self):
        from qa import caching, errors

        caching.connect_signals()
        errors.connect_signals()
