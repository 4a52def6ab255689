"""Settings for the test suite: the real settings, with plain static files and a fast hasher."""
import os

# The real settings refuse to start without a secret key when DEBUG is off, as the tests run.
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-0123456789abcdef")

from quicktakes.settings import *  # noqa: E402,F401,F403
from quicktakes.settings import STORAGES  # noqa: E402

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
