"""The sandbox's Flask app: OAuth endpoints and consent page, the company API, the admin API."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from html import escape
from typing import Any
from urllib.parse import urlencode

from flask import Flask, Response, redirect, request

from ledgerhub_qbo_sandbox import gateway, jsonio
from ledgerhub_qbo_sandbox.company import ENTITIES, listing
from ledgerhub_qbo_sandbox.oauth import ACCOUNTING_SCOPE, OAuthError
from ledgerhub_qbo_sandbox.state import SandboxState

CONSENT_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Connect to QuickBooks (sandbox)</title>
<style>body{{font-family:sans-serif;max-width:32rem;margin:3rem auto;color:#222}}
button{{font-size:1rem;padding:.5rem 1.25rem;margin-right:.5rem}}
.connect{{background:#2ca01c;color:#fff;border:0;border-radius:4px}}</style></head>
<body><h1>QuickBooks Online sandbox</h1>
<p>The app <strong>{client_id}</strong> asks to read and write the accounting data of:</p>
<form method="post" action="/connect/oauth2/consent">
{hidden}
<p><label for="realm">Company</label>
<select id="realm" name="realm_id">{options}</select></p>
<button class="connect" type="submit" name="decision" value="approve">Connect</button>
<button type="submit" name="decision" value="deny">Cancel</button>
</form></body></html>"""


def create_app(state: SandboxState) -> Flask:
    """Build the WSGI app serving one sandbox's state."""
    app = Flask("ledgerhub_qbo_sandbox")

    @app.get("/.well-known/openid_configuration")
    @app.get("/.well-known/openid_configuration/")
    def discovery() -> Response:
        """Intuit's discovery document, pointing at this server."""
        base = request.host_url.rstrip("/")
        return _json(
            {
                "issuer": f"{base}/op/v1",
                "authorization_endpoint": f"{base}/connect/oauth2",
                "token_endpoint": f"{base}/oauth2/v1/tokens/bearer",
                "userinfo_endpoint": f"{base}/v1/openid_connect/userinfo",
                "revocation_endpoint": f"{base}/v2/oauth2/tokens/revoke",
                "jwks_uri": f"{base}/op/v1/jwks",
                "response_types_supported": ["code"],
                "scopes_supported": ["openid", "email", "profile", "address", "phone", ACCOUNTING_SCOPE],
                "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            }
        )

    @app.get("/connect/oauth2")
    def authorize() -> Any:
        """The consent page (or, with auto-approve, the redirect straight back)."""
        args = request.args
        client_id, redirect_uri, state_token = (
            args.get("client_id", ""),
            args.get("redirect_uri", ""),
            args.get("state", ""),
        )
        try:
            state.oauth.check_authorization_request(client_id, redirect_uri)
        except OAuthError as error:
            return Response(f"<h1>Authorization error</h1><p>{escape(error.description)}</p>", 400)
        if args.get("response_type") != "code":
            return _back(redirect_uri, {"error": "unsupported_response_type", "state": state_token})
        if ACCOUNTING_SCOPE not in args.get("scope", "").split():
            return _back(redirect_uri, {"error": "invalid_scope", "state": state_token})
        if state.auto_approve:
            realm = state.default_realm()
            code = state.oauth.issue_code(client_id, redirect_uri, realm.realm_id)
            return _back(redirect_uri, {"code": code, "state": state_token, "realmId": realm.realm_id})
        state.default_realm()
        hidden = "".join(
            f'<input type="hidden" name="{name}" value="{escape(args.get(name, ""))}">'
            for name in ("client_id", "redirect_uri", "state", "scope")
        )
        options = "".join(
            f'<option value="{escape(realm.realm_id)}">{escape(realm.company_name)} '
            f"({escape(realm.realm_id)})</option>"
            for realm in list(state.realms.values())
        )
        return Response(CONSENT_PAGE.format(client_id=escape(client_id), hidden=hidden, options=options))

    @app.post("/connect/oauth2/consent")
    def consent() -> Any:
        """The consent form's answer: redirect with code, state and realmId (or access_denied)."""
        form = request.form
        redirect_uri, state_token = form.get("redirect_uri", ""), form.get("state", "")
        try:
            state.oauth.check_authorization_request(form.get("client_id", ""), redirect_uri)
        except OAuthError as error:
            return Response(f"<h1>Authorization error</h1><p>{escape(error.description)}</p>", 400)
        if form.get("decision") != "approve":
            return _back(redirect_uri, {"error": "access_denied", "state": state_token})
        realm_id = form.get("realm_id", "")
        if realm_id not in state.realms:
            return Response("<h1>Authorization error</h1><p>Choose a company.</p>", 400)
        code = state.oauth.issue_code(form["client_id"], redirect_uri, realm_id)
        return _back(redirect_uri, {"code": code, "state": state_token, "realmId": realm_id})

    @app.post("/oauth2/v1/tokens/bearer")
    def token() -> Response:
        """The token endpoint (authorization_code and refresh_token grants, Basic client auth)."""
        try:
            return _json(state.oauth.token(request.headers.get("Authorization"), request.form.to_dict()))
        except OAuthError as error:
            return _json(error.body(), error.status)

    @app.post("/v2/oauth2/tokens/revoke")
    def revoke() -> Response:
        """Revoke a refresh or access token (and with it the connection)."""
        try:
            body = jsonio.loads(request.get_data() or b"{}")
            token_value = body.get("token", "") if isinstance(body, dict) else ""
            state.oauth.revoke(request.headers.get("Authorization"), token_value)
        except OAuthError as error:
            return _json(error.body(), error.status)
        except ValueError:
            return _json({"error": "invalid_request", "error_description": "the body must be JSON"}, 400)
        return Response("", 200)

    @app.get("/v1/openid_connect/userinfo")
    def userinfo() -> Response:
        """A minimal userinfo answer for a live access token."""
        authorization = request.headers.get("Authorization", "")
        if state.oauth.realm_of_access_token(authorization.removeprefix("Bearer ")) is None:
            return _json({"error": "invalid_token"}, 401)
        return _json({"sub": "sandbox-user", "email": "owner@example.com", "emailVerified": True})

    @app.route("/v3/company/<realm_id>/<path:path>", methods=["GET", "POST"])
    def company_api(realm_id: str, path: str) -> Response:
        """Every company endpoint."""
        return gateway.handle(state, realm_id, path, request)

    _admin_routes(app, state)
    return app


def _admin_routes(app: Flask, state: SandboxState) -> None:
    @app.get("/admin/realms")
    def admin_realms() -> Response:
        """Every realm with its settings."""
        return _json(
            {
                "realms": [
                    {
                        "realm_id": realm.realm_id,
                        "company_name": realm.company_name,
                        "country": realm.country,
                        "tax_rate": realm.tax_rate,
                    }
                    for realm in list(state.realms.values())
                ]
            }
        )

    @app.post("/admin/realms")
    def admin_create_realm() -> Response:
        """Create a realm: ``{"company_name", "country", "tax_rate"}`` (all optional)."""
        body = jsonio.loads(request.get_data() or b"{}")
        try:
            realm = state.create_realm(
                body.get("company_name", "Sandbox Garage"),
                country=body.get("country"),
                tax_rate=body.get("tax_rate"),
            )
        except (ValueError, InvalidOperation) as problem:
            return _json({"error": str(problem)}, 400)
        return _json({"realm_id": realm.realm_id}, 201)

    @app.get("/admin/realms/<realm_id>/objects/<entity>")
    def admin_objects(realm_id: str, entity: str) -> Response:
        """Every object of one entity in a realm (inactive and voided ones included)."""
        name = ENTITIES.get(entity.lower())
        if realm_id not in state.realms or name is None:
            return _json({"error": f"no realm {realm_id} or no entity {entity}"}, 404)
        return _json({name: listing(state.realms[realm_id], name)})

    @app.get("/admin/realms/<realm_id>/requests")
    def admin_requests(realm_id: str) -> Response:
        """The realm's request log, oldest first (Authorization headers redacted)."""
        if realm_id not in state.realms:
            return _json({"error": f"no realm {realm_id}"}, 404)
        realm = state.realms[realm_id]
        with realm.lock:
            return _json({"requests": list(realm.request_log)})

    @app.get("/admin/realms/<realm_id>/throttle")
    def admin_throttle(realm_id: str) -> Response:
        """The realm's throttle counters."""
        return _json(state.throttle.counters(realm_id))

    @app.post("/admin/realms/<realm_id>/tax-rate")
    def admin_tax_rate(realm_id: str) -> Response:
        """Change a US realm's sales tax rate: ``{"rate": "0.0725"}``."""
        body = jsonio.loads(request.get_data() or b"{}")
        if realm_id not in state.realms:
            return _json({"error": f"no realm {realm_id}"}, 404)
        try:
            state.realms[realm_id].tax_rate = Decimal(str(body["rate"]))
        except (KeyError, InvalidOperation):
            return _json({"error": "rate must be a decimal such as 0.0725"}, 400)
        return _json({"realm_id": realm_id, "tax_rate": state.realms[realm_id].tax_rate})

    @app.route("/admin/faults", methods=["GET", "PUT"])
    def admin_faults() -> Response:
        """Read or change the fault-injection shares (``PUT`` a partial mapping)."""
        if request.method == "PUT":
            try:
                state.faults.update(jsonio.loads(request.get_data() or b"{}"))
            except (ValueError, TypeError, AttributeError) as problem:
                return _json({"error": str(problem)}, 400)
        return _json(state.faults.as_dict())


def _json(body: Any, status: int = 200) -> Response:
    return Response(jsonio.dumps(body), status=status, mimetype="application/json")


def _back(redirect_uri: str, params: dict[str, str]) -> Any:
    separator = "&" if "?" in redirect_uri else "?"
    return redirect(redirect_uri + separator + urlencode(params), 302)
