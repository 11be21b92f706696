"""Sessions and CSRF for the web app.

The session is Starlette's signed cookie (itsdangerous): HttpOnly, SameSite=Strict, path
``/app``, 8 hours. It holds the key's id and brand (never the key itself) and a CSRF token;
each page checks the key is still valid. The signing secret is ``$MATCHER_SESSION_SECRET``
(set it when several workers or replicas serve the app: they must share it), else a random one
per process (sessions then end when the process restarts). Every POST carries the CSRF token
(form field ``csrf_token`` or header ``X-CSRF-Token``), compared in constant time.
"""

from __future__ import annotations

import hmac
import os
import secrets
from collections.abc import Mapping

from starlette.requests import Request

ENV_SESSION_SECRET = "MATCHER_SESSION_SECRET"
SESSION_COOKIE = "matcher_session"
SESSION_MAX_AGE = 8 * 3600
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


def session_secret(environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    return env.get(ENV_SESSION_SECRET) or secrets.token_urlsafe(32)


def csrf_token(request: Request) -> str:
    """This session's token (made on first use)."""
    tok = request.session.get("csrf")
    if not tok:
        tok = request.session["csrf"] = secrets.token_urlsafe(32)
    return str(tok)


def csrf_ok(request: Request, sent: str | None) -> bool:
    expected = request.session.get("csrf")
    return bool(expected and sent) and hmac.compare_digest(str(expected), str(sent))
