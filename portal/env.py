"""Typed readers for settings that come from the environment.

Each helper fails loudly with ``ImproperlyConfigured`` on a value it cannot parse, so a typo in
a deployment's environment stops the process at start-up instead of silently using a default.
"""

import os
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of {sorted(_TRUE | _FALSE - {''})}, got {raw!r}"
    )


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    """A comma-separated list; blanks are dropped so that ``"a, ,b"`` gives ``["a", "b"]``."""
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_weights(name: str, default: dict[str, int]) -> dict[str, int]:
    """``"completeness=20,coverage=30"``: weights for the named parts (others keep their
    default); each a whole number from 0, an unknown part or a bad number stops start-up."""
    weights = dict(default)
    for item in env_list(name):
        part, sep, raw = item.partition("=")
        part = part.strip()
        if not sep or part not in default:
            raise ImproperlyConfigured(
                f"{name}: {item!r} is not PART=WEIGHT with PART one of {sorted(default)}"
            )
        try:
            weights[part] = int(raw)
        except ValueError:
            raise ImproperlyConfigured(f"{name}: weight of {part} must be an integer") from None
        if weights[part] < 0:
            raise ImproperlyConfigured(f"{name}: weight of {part} must not be negative")
    if not any(weights.values()):
        raise ImproperlyConfigured(f"{name}: at least one weight must be above 0")
    return weights


def env_url_origin(name: str, default: str = "") -> tuple[str, str]:
    """The URL template in ``name`` (e.g. a map tile server's ``https://t.example.org/{z}/{x}/{y}.png``)
    and its origin for the Content-Security-Policy (``https://t.example.org``); both empty when
    unset. A value that is not an absolute http(s) URL stops the start-up."""
    raw = os.environ.get(name, default).strip()
    if not raw:
        return "", ""
    scheme, _sep, rest = raw.partition("://")
    host = rest.split("/", 1)[0]
    if scheme not in ("http", "https") or not host or "{" in host:
        raise ImproperlyConfigured(f"{name} must be an http(s) URL with a fixed host, got {raw!r}")
    return raw, f"{scheme}://{host}"


def env_redis_url(name: str) -> str:
    """A Redis URL (``redis://[:PASSWORD@]HOST:6379/1``, ``rediss://…`` with TLS, or
    ``unix:///run/redis.sock?db=1``); empty when unset. Anything else stops the start-up: a
    mistyped URL would otherwise surface as a connection error on the first page."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return ""
    parsed = urlsplit(raw)
    try:
        parsed.port  # noqa: B018 — raises ValueError on a port that is not a number
    except ValueError:
        raise ImproperlyConfigured(f"{name} has a port that is not a number") from None
    if parsed.scheme in ("redis", "rediss") and parsed.hostname:
        database = parsed.path.strip("/")
        if database and not database.isdigit():
            raise ImproperlyConfigured(f"{name}: the database after the host must be a number")
        return raw
    if parsed.scheme == "unix" and parsed.path:
        return raw
    raise ImproperlyConfigured(
        # The value is not repeated: it may hold the server's password.
        f"{name} must look like redis://HOST:6379/1 (or rediss://, unix://)"
    )
