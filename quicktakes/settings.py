"""
QuickTakes settings, read from the environment.

Every value that differs between a laptop and production comes from an
environment variable; the defaults are for local development on SQLite.
"""
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        # Refuse to start rather than sign sessions with a key everyone can read.
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (for local development set DEBUG=1).")
    SECRET_KEY = "django-insecure-dev-only-key-set-SECRET_KEY-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Absolute origin used for canonical URLs, sitemaps and feeds.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
SITE_NAME = "QuickTakes"
SITE_ID = 1

INSTALLED_APPS = [
    "qa.apps.QaAdminConfig",  # django.contrib.admin, with QuickTakes CMS as its site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.redirects",
    "django.contrib.sitemaps",
    "markdownx",
    "reversion",
    "axes",
    "qa",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "qa.serving.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside the page cache, so a cached page is still served while the database is away.
    "qa.serving.unavailable.DatabaseUnavailableMiddleware",
    # Before sessions and auth: a cache hit costs neither, and never touches the session.
    "qa.serving.page_cache.PageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "qa.serving.moved.MovedArticleMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "quicktakes.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "qa.context_processors.site",
            ],
        },
    },
]

WSGI_APPLICATION = "quicktakes.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers and the importer work side by side; IMMEDIATE avoids
    # "database is locked" upgrades in concurrent writers.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Connections persist as on PostgreSQL (CONN_MAX_AGE): opening one, with its PRAGMAs, costs
    # about a millisecond, a third of an uncached page. A local file needs no health check.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
else:
    # An unreachable server must fail a request in seconds (a 503, qa/serving/unavailable.py), not hang it.
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = int(os.environ.get("DB_CONNECT_TIMEOUT", "5"))


def prepared_statements(options: dict) -> dict:
    """Server-side binding with prepared statements: once a connection has run a query five times,
    PostgreSQL keeps its plan instead of planning it on every run (the article page's query took
    longer to plan than to run). Turn off with DB_PREPARED_STATEMENTS=0 behind a pooler in
    transaction mode, which cannot keep a session's prepared statements."""
    if os.environ.get("DB_PREPARED_STATEMENTS", "1") == "1":
        options.update(server_side_binding=True, prepare_threshold=5)
    return options


if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    prepared_statements(DATABASES["default"]["OPTIONS"])

# A read replica (PostgreSQL streaming replication) takes the readers' queries; writes and every
# request of a logged-in editor stay on the primary (qa/serving/db_router.py, docs/scaling.md).
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL,
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
    prepared_statements(DATABASES["replica"].setdefault("OPTIONS", {}))
    # The replica has no test database of its own: in tests it is the primary's.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["qa.serving.db_router.PrimaryReplicaRouter"]
    MIDDLEWARE.insert(MIDDLEWARE.index("qa.serving.unavailable.DatabaseUnavailableMiddleware"), "qa.serving.db_router.PinPrimaryMiddleware")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Reader pages are cached here (qa/serving/page_cache.py). Local memory is per worker process; Redis is shared by
# every worker and app server. Invalidation is right either way: it goes through a version in the database.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "qt"),
            # A stuck Redis must cost a reader a second at most; the page is then rendered uncached.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            # Django's default of 300 entries would churn through a few thousand articles.
            "OPTIONS": {"MAX_ENTRIES": int(os.environ.get("CACHE_MAX_ENTRIES", "5000"))},
        }
    }

PAGE_CACHE = env_bool("PAGE_CACHE", True)  # PAGE_CACHE=0 renders every request (HTTP caching headers stay)
PAGE_CACHE_TIMEOUT = int(os.environ.get("PAGE_CACHE_TIMEOUT", "3600"))  # seconds a page is kept server-side
PAGE_CACHE_MAX_AGE = int(os.environ.get("PAGE_CACHE_MAX_AGE", "60"))  # browsers
PAGE_CACHE_S_MAXAGE = int(os.environ.get("PAGE_CACHE_S_MAXAGE", "300"))  # CDN and nginx: the staleness bound
PAGE_CACHE_STALE_WHILE_REVALIDATE = int(os.environ.get("PAGE_CACHE_STALE_WHILE_REVALIDATE", "60"))
PAGE_CACHE_STALE_IF_ERROR = int(os.environ.get("PAGE_CACHE_STALE_IF_ERROR", "86400"))
# With a shared cache, each process also keeps this many pages itself: a hit then needs no round trip.
PAGE_CACHE_LOCAL_ENTRIES = int(os.environ.get("PAGE_CACHE_LOCAL_ENTRIES", "500" if REDIS_URL else "0"))
# How long a process trusts the content version it last read before it reads it again.
PAGE_CACHE_VERSION_TTL = float(os.environ.get("PAGE_CACHE_VERSION_TTL", "1"))
# The views whose anonymous GET responses are cached and marked public (names as for reverse()),
# each with the query parameters it reads: the cache key keeps those and drops every other one, so
# ?cb=1, ?utm_source=… neither split the cache nor grow it.
# Called after every committed change with the paths of the reader pages it made stale (["*"]
# for the whole site) and the change's names: a CDN purge by URL plugs in here (docs/scaling.md).
PAGE_CHANGE_HOOKS = [hook for hook in os.environ.get("PAGE_CHANGE_HOOKS", "").split(",") if hook]
PAGE_CACHE_VIEWS = {
    "qa:learn-index": (),
    "qa:subject-detail": ("page",),
    "qa:question-detail": (),
    "qa:feed": (),
    "qa:subject-feed": (),
    "qa:sitemap-index": (),
    "qa:sitemap-pages": ("p",),  # django.contrib.sitemaps' page parameter
    "qa:sitemap-subject": ("p",),
    "qa:robots-txt": (),
}

AUTHENTICATION_BACKENDS = [
    # First: refuses any login attempt, right or wrong, while its username and address are locked out.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # KaTeX's stylesheet, fonts and copy-tex script, from the npm package (`npm ci`), served
    # hashed and compressed like every other static file. Nothing of KaTeX is committed.
    ("katex", BASE_DIR / "node_modules" / "katex" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or env_bool("PLAIN_STATIC", False)
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))

FIXTURE_DIRS = [BASE_DIR / "fixtures"]

# The one rendering pipeline also drives the editor's live preview.
MARKDOWNX_MARKDOWNIFY_FUNCTION = "qa.rendering.markdown.render_markdown"
# The editor's two endpoints (staff only, see qa/admin/editor_views.py). The widget reads these paths and
# qa/admin/editor_views.py builds its URLconf from them, so they cannot drift apart.
MARKDOWNX_URLS_PATH = "/markdownx/markdownify/"
MARKDOWNX_UPLOAD_URLS_PATH = "/markdownx/upload/"
# Uploaded images: at most this many bytes (5 MB by default), stored under MEDIA_ROOT/MEDIA_PATH.
MARKDOWNX_UPLOAD_MAX_SIZE = int(os.environ.get("UPLOAD_MAX_SIZE", 5 * 1024 * 1024))
MARKDOWNX_MEDIA_PATH = "uploads/"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    "loggers": {
        # Server errors and lockouts are always worth a line, whatever LOG_LEVEL says.
        "django.request": {"level": "ERROR"},
        "django.security": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "qa": {"level": os.environ.get("LOG_LEVEL", "INFO")},
    },
}

# The admin's mount point, e.g. "cms-7f3a/" in production.
ADMIN_URL = os.environ.get("ADMIN_URL", "admin/").strip("/") + "/"

# --- Security ------------------------------------------------------------------------------------
# HTTPS is on when the public URL is https (HTTPS=0/1 overrides): HSTS, secure cookies and a
# redirect from http. Behind a proxy that terminates TLS, set SECURE_PROXY_SSL_HEADER=X-Forwarded-Proto
# (the deploy/ nginx sets it), or the redirect would loop.
HTTPS = env_bool("HTTPS", SITE_URL.startswith("https://"))
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", HTTPS)
if os.environ.get("SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + os.environ["SECURE_PROXY_SSL_HEADER"].upper().replace("-", "_"), "https")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600) if HTTPS else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"
# CSRF_COOKIE_HTTPONLY stays off: the markdownx editor reads the token from the cookie.

# Content-Security-Policy (qa/serving/security.py). Reader pages run no inline script and load nothing
# from other hosts; JSON-LD blocks are data, not script, and need no permission.
CSP_READERS = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    # KaTeX positions the parts of a formula with style attributes (heights, shifts). Style
    # attributes only: <style> elements and stylesheets stay 'self'. Answers cannot write one:
    # the sanitiser keeps no style but a table cell's text-align, and KaTeX's come after it.
    "style-src-attr": ["'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
# The admin and the markdownx editor set inline styles from their own code; scripts stay 'self'.
CSP_EDITORS = {
    **CSP_READERS,
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:", "blob:"],
    "frame-ancestors": ["'self'"],
}
CSP_EDITOR_PATHS = ["/" + ADMIN_URL, "/markdownx/"]

# django-axes: after AXES_USER_FAILURE_LIMIT (env AXES_FAILURE_LIMIT) wrong passwords for one username from one address, that
# pair is refused (HTTP 429) for AXES_COOLOFF_MINUTES, even with the right password. Locking the
# pair, not the address alone, keeps one office behind a shared address from locking everyone out.
# An address with AXES_ADDRESS_FAILURE_LIMIT failures in the cool-off, over any usernames, is
# refused for every username (password spraying): qa.serving.security.failure_limit.
AXES_USER_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_ADDRESS_FAILURE_LIMIT = int(os.environ.get("AXES_ADDRESS_FAILURE_LIMIT", "20"))
AXES_FAILURE_LIMIT = "qa.serving.security.failure_limit"
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Behind N trusted proxies (nginx: 1; a CDN and nginx: 2) the client's address is taken from
# X-Forwarded-For (qa.serving.security.client_ip); without them, REMOTE_ADDR.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "qa.serving.security.client_ip"
