"""CSRF protection on every form: Flask-WTF's check, with its token serializer built once.

Flask-WTF builds an itsdangerous serializer for every request it checks,
and passes it a Python wrapper around SHA-1, so HMAC falls back to its slow
pure-Python construction. Here the serializer is built once per key, with
hashlib's SHA-1 itself: the same salt, key derivation and digest, so a token
is exactly the one Flask-WTF signs and checks. What is checked, and the
messages of a refusal (400, `CSRFError`), are Flask-WTF's.
"""

from __future__ import annotations

import hashlib
import hmac
import logging

from flask import current_app, g, request, session
from flask_wtf.csrf import CSRFProtect, same_origin
from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer
from wtforms import ValidationError

logger = logging.getLogger("flask_wtf.csrf")  # where Flask-WTF logs its refusals
SALT = "wtf-csrf-token"  # Flask-WTF's


class CSRFProtection(CSRFProtect):
    """Refuse any POST, PUT, PATCH or DELETE without the session's signed CSRF token."""

    def __init__(self, app=None) -> None:
        self._serializer: tuple[str | bytes, URLSafeTimedSerializer] | None = None
        super().__init__(app)

    def protect(self, apply_exemptions: bool = False) -> None:
        """Validate the request's token as Flask-WTF does, or answer 400 saying why."""
        # Looked up once: every POST of the app comes here.
        sent, config = request._get_current_object(), current_app.config
        if sent.method not in config["WTF_CSRF_METHODS"]:
            return
        if apply_exemptions and (not sent.endpoint or self._is_exempt()):
            return
        try:
            self._validate(self._get_csrf_token(), config)
        except ValidationError as refused:
            logger.info(refused.args[0])
            self._error_response(refused.args[0])
        if sent.is_secure and config["WTF_CSRF_SSL_STRICT"]:
            if not sent.referrer:
                self._error_response("The referrer header is missing.")
            if not same_origin(sent.referrer, f"https://{sent.host}/"):
                self._error_response("The referrer does not match the host.")
        g.csrf_valid = True  # Flask-WTF's forms then skip their own check

    def _validate(self, data: str | None, config) -> None:
        """Raise ValidationError unless `data` is the session's token, signed and in time.

        Flask-WTF's `validate_csrf`, step by step: the same settings and
        defaults, the same checks in the same order, the same messages.
        """
        serializer = self._token_serializer(config)
        field_name = config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
        if field_name is None:
            raise RuntimeError("A field name is required to use CSRF.")
        if not data:
            raise ValidationError("The CSRF token is missing.")
        if field_name not in session:
            raise ValidationError("The CSRF session token is missing.")
        try:
            token = serializer.loads(data, max_age=config.get("WTF_CSRF_TIME_LIMIT", 3600))
        except SignatureExpired as expired:
            raise ValidationError("The CSRF token has expired.") from expired
        except BadData as bad:
            raise ValidationError("The CSRF token is invalid.") from bad
        if not hmac.compare_digest(session[field_name], token):
            raise ValidationError("The CSRF tokens do not match.")

    def _token_serializer(self, config) -> URLSafeTimedSerializer:
        """Return the serializer of Flask-WTF's tokens for the current secret key."""
        # Looked up as Flask-WTF does: only a missing key is refused.
        secret = config.get("WTF_CSRF_SECRET_KEY", current_app.secret_key)
        if secret is None:
            raise RuntimeError("A secret key is required to use CSRF.")
        cached = self._serializer
        if cached is None or cached[0] != secret:
            serializer = URLSafeTimedSerializer(
                secret, salt=SALT, signer_kwargs={"digest_method": hashlib.sha1}
            )
            cached = self._serializer = (secret, serializer)
        return cached[1]
