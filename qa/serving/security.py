"""Content-Security-Policy by path, and the client address behind trusted proxies.

Django 5.2 has no CSP support of its own. The policy is one static header per kind of page (reader
pages need no nonces: they run no inline script), so a middleware of a few lines does it.
"""
from django.conf import settings


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
