"""Source URLs and their normalised form, which is unique across sources.

Two URLs that differ only in case of scheme or host, a default port, dot
segments, a trailing slash, a fragment, the order of query parameters or
tracking parameters (utm_*, fbclid, ...) name the same document.
"""

from __future__ import annotations

import functools
import hashlib
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from url_normalize import url_normalize

_TRACKING_PARAMS = frozenset({"fbclid", "gclid", "mc_cid", "mc_eid", "igshid", "ref_src"})


def _is_tracking(name: str) -> bool:
    return name.lower().startswith("utm_") or name.lower() in _TRACKING_PARAMS


def normalise_url(url: str) -> str:
    """The key under which a source URL is unique."""
    parts = urlsplit(url_normalize(url.strip()) or "")
    query = sorted(
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if not _is_tracking(name)
    )
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((parts.scheme, parts.netloc, path, urlencode(query), ""))


# Normalising is slow next to the rest of a write; a bulk import brings the same
# source URLs again and again.
@functools.lru_cache(maxsize=65_536)
def url_key(url: str) -> str:
    """The stored key of a source URL: SHA-256 of its normalised form.

    A fixed length, since normalising (percent-encoding) can make a URL longer.
    """
    return hashlib.sha256(normalise_url(url).encode()).hexdigest()
