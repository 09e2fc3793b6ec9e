"""Whether a request was sent by a page of another site: what a browser says in its headers.

A browser sends `Sec-Fetch-Site` (same-origin, same-site, cross-site, none) with every request,
and `Origin` with every POST, even those it sends without a preflight (a form, a `text/plain`
fetch). Callers that are not browsers (curl, the broker, the functions) send neither, and are
not another site's page. `same-site` counts as another site: another port on the same host is
another program.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

OWN_SITE = frozenset({"same-origin", "none"})  # none: typed in the address bar, a bookmark
DEFAULT_PORTS = (":80", ":443")


def foreign(headers: Mapping[str, str]) -> str | None:
    """Why the request comes from another site's page (a sentence's end), or None when not.

    `headers` are keyed by lower-case name.
    """
    site = headers.get("sec-fetch-site", "").strip().lower()
    if site and site not in OWN_SITE:
        return f"the browser says it is {site[:20]!r}"
    origin = headers.get("origin", "")
    if not origin:
        return None
    own = {_host(headers.get(name, "")) for name in ("host", "x-forwarded-host")} - {""}
    if _host(urlsplit(origin.strip()).netloc) not in own:
        return f"it comes from the origin {origin[:80]!r}"
    return None


def _host(netloc: str) -> str:
    """`host[:port]` in lower case, without the scheme's default port."""
    netloc = netloc.split(",")[0].strip().lower()  # X-Forwarded-Host may list proxies
    for port in DEFAULT_PORTS:
        netloc = netloc.removesuffix(port)
    return netloc
