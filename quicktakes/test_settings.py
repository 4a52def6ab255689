"""Settings for the test suite: the real settings, with plain static files and a fast hasher."""
from quicktakes.settings import *  # noqa: F401,F403
from quicktakes.settings import STORAGES

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
