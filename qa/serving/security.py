"""Content-Security-Policy by path, the client address behind trusted proxies, and the login
failure limit per address.

Django 5.2 has no CSP support of its own. The policy is one static header per kind of page (reader
pages need no nonces: they run no inline script), so a middleware of a few lines does it.
"""
from django.conf import settings
from django.db.models import Sum
from django.utils import timezone


def policy_header(directives: dict[str, list[str]]) -> str:
    return "; ".join(" ".join([name, *sources]) for name, sources in directives.items())


class ContentSecurityPolicyMiddleware:
    """Send the editors' policy under the admin and markdownx paths, the readers' everywhere else.

    A response that already carries a policy (a view that needs its own) keeps it.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.readers = policy_header(settings.CSP_READERS)
        self.editors = policy_header(settings.CSP_EDITORS)
        self.editor_paths = tuple(settings.CSP_EDITOR_PATHS)

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            editing = request.path.startswith(self.editor_paths)
            response["Content-Security-Policy"] = self.editors if editing else self.readers
        return response


def client_ip(request) -> str | None:
    """The client's address for django-axes.

    Each proxy appends the address it was connected from to X-Forwarded-For, so with N trusted
    proxies the client is the Nth entry from the right; anything further left came from the client
    and may be forged.
    """
    count = settings.TRUSTED_PROXY_COUNT
    if count:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= count:
            return forwarded[-count]
    return request.META.get("REMOTE_ADDR")


def failure_limit(request, credentials) -> int:
    """django-axes' AXES_FAILURE_LIMIT: per username and address, and per address alone.

    axes locks the (username, address) pair after AXES_USER_FAILURE_LIMIT failures. An address that
    has failed AXES_ADDRESS_FAILURE_LIMIT times in the cool-off, whatever the usernames (password
    spraying: one guess at each of many accounts), gets a limit of 0: locked for every username.
    axes' own "ip_address" lockout parameter would share the pair's small limit, locking a whole
    office behind one address after five typos.
    """
    from axes.models import AccessAttempt  # axes' models need the app registry

    address = client_ip(request)
    if address:
        failures = AccessAttempt.objects.filter(
            ip_address=address, attempt_time__gte=timezone.now() - settings.AXES_COOLOFF_TIME
        ).aggregate(total=Sum("failures_since_start"))["total"]
        if (failures or 0) >= settings.AXES_ADDRESS_FAILURE_LIMIT:
            return 0
    return settings.AXES_USER_FAILURE_LIMIT
