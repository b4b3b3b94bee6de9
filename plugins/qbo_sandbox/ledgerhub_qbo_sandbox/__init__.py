"""A local server that behaves like QuickBooks Online's v3 API and Intuit's OAuth 2.

The QBO target plugin talks to it through python-quickbooks and intuit-oauth, unmodified, with
only the base URLs pointed at it. It is a non-target LedgerHub plugin: its one hook adds the
``ledgerhub qbo-sandbox [--port N] [--time-scale F]`` command.

Python API (stable; used by the QBO plugin's tests, the demo and the benchmarks)::

    from ledgerhub_qbo_sandbox import SandboxServer

    with SandboxServer(port=0, time_scale=1.0, auto_approve=False, country="US",
                       tax_rate=Decimal("0.0825")) as sandbox:
        sandbox.base_url              # "http://127.0.0.1:PORT" (python-quickbooks: base_url + "/v3")
        sandbox.discovery_url         # intuit-oauth: AuthClient(..., environment=sandbox.discovery_url)
        sandbox.client_credentials    # .client_id, .client_secret, .redirect_uris (registered)
        sandbox.add_redirect_uri(uri) # register another redirect URI for that client
        sandbox.default_realm_id      # a seeded company exists from the start
        realm = sandbox.create_realm("Main St Garage", country="CA")   # or tax_rate=...
        sandbox.issue_tokens(realm)   # {"access_token", "refresh_token", ...} without the consent page
        sandbox.objects(realm, "Invoice")     # copies of every stored object (inactive/voided too)
        sandbox.get_object(realm, "Invoice", "1")
        sandbox.request_log(realm)            # every company request (Authorization redacted)
        sandbox.throttle_counters(realm)      # windows, in_flight, accepted, throttled{...}
        sandbox.faults                        # FaultConfig: shares + inject_next("drop"|"500"|...)
        sandbox.set_tax_rate(realm, "0.0725")
        sandbox.rename_item(realm, item_id, "Part"); sandbox.delete_item(realm, item_id)
        sandbox.set_active(realm, "Customer", customer_id, False)
        sandbox.expire_access_tokens(); sandbox.advance(3601)   # sandbox seconds

Pointing the libraries at it (plain HTTP needs ``OAUTHLIB_INSECURE_TRANSPORT=1``)::

    auth = AuthClient(cid, secret, redirect_uri, environment=sandbox.discovery_url)
    qb = QuickBooks(auth_client=auth, refresh_token=rt, company_id=realm, minorversion=75)
    qb.api_url_v3 = sandbox.base_url + "/v3"

HTTP surface: ``/.well-known/openid_configuration``, ``/connect/oauth2`` (consent page),
``/oauth2/v1/tokens/bearer``, ``/v2/oauth2/tokens/revoke``, ``/v3/company/{realm}/{entity}[/{id}]``
for customer, vendor, item, account, invoice, payment, taxcode, taxrate, companyinfo, employee, plus
``/query`` and ``/batch``; admin JSON under ``/admin/realms[/{realm}/objects/{entity} | /requests |
/throttle | /tax-rate]`` and ``/admin/faults``.

Time: every lifetime and window is in sandbox seconds; ``time_scale`` sandbox seconds pass per
real second, so ``time_scale=3600`` makes an access token last one real second.

Rules enforced, with QBO's Fault codes: 2010 unknown property (at any depth) or malformed JSON,
2020 required field, 2030 bad Id, 2040 ``:``/tab/newline in names, 2050 string too long, 2130
bad requestid, 2500 reference to a missing object, 610 missing object or inactive reference,
4000/4001 query errors, 5010 stale SyncToken, 6000 business rules (payment above the open
balance, a Canadian line without a tax code, ...), 6070 Amount ≠ Qty × UnitPrice, 6080 no name,
6090 discount line, 6100 US line tax code other than TAX/NON, 6140 duplicate DocNumber (unless
``include=allowduplicatedocnum``), 6240 duplicate name (DisplayName across customers, vendors
and employees; Name among items and among accounts; compared case-insensitively), 1040 batch over
30 items, 3001 throttled (HTTP 429), 401 with QBO's AuthenticationFailed body, 10000 injected
500/503. A repeated ``requestid`` returns the first successful answer with no second effect (a
failed request is not remembered, so a corrected retry under the same id runs). Each realm keeps
its last 5,000 requests in the log and its last 50,000 requestid answers.
"""

from __future__ import annotations

import click

from hub.plugin import hookimpl
from ledgerhub_qbo_sandbox.faults import FaultConfig
from ledgerhub_qbo_sandbox.oauth import ClientCredentials
from ledgerhub_qbo_sandbox.server import SandboxServer
from ledgerhub_qbo_sandbox.throttle import Limits

__all__ = ["ClientCredentials", "FaultConfig", "Limits", "SandboxServer", "ledgerhub_cli_commands"]


@hookimpl
def ledgerhub_cli_commands() -> list[click.Command]:
    """The ``qbo-sandbox`` command."""
    from ledgerhub_qbo_sandbox.cli import qbo_sandbox

    return [qbo_sandbox]
