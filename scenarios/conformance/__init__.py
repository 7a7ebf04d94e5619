"""``python -m scenarios conformance``: the relying-party check catalogue against any RP.

The command makes the mock provider misbehave on purpose, one catalogue row at a time, signs in
to the relying party under test in a real browser, and reports per row whether the RP did what
the OpenID certification catalogue requires: REJECT rows pass when the RP is not signed in
afterwards, ACCEPT rows when it is. The rows and their judging are in
:mod:`scenarios.conformance.rows`.

Setting up the RP under test
----------------------------
With ``--app PROFILE`` the command starts the mock provider and the app as ``run --app`` does
(:mod:`scenarios.conformance.setup`) and reads the sign-in URL, the check URL (``me_url``) and
the back-channel logout URI from the profile; ``--https`` serves the mock over https with a
local CA. Otherwise the RP must use the mock provider as its OpenID provider: authority
``<mock>/<tenant>`` (v2 issuer ``<mock>/<tenant>/v2.0``), the mock's reference app (client id and
secret printed by the command), and a redirect URI registered for that app
(``http://localhost/...`` and ``http://127.0.0.1/...`` with any port and path
``/auth/callback`` are; ``--redirect-uri`` adds another). Point the command at a running mock
with ``--idp`` (``--ca-file`` for an https one; on the RP's own site it is warned about), or let it
start one on ``--idp-port``, reached by another site than the RP's (``localhost`` for an RP on
``127.0.0.1``), and print what to configure (``--pause`` waits for Enter).

Preflight: the check URL answers "not signed in", the app's clock agrees with the mock's, and a
plain sign-in against this mock signs the app in, as the client the faults target; otherwise a
:class:`SetupError` (exit 2).

Each row
--------
1. Arm the row's fault (``POST /_mock/faults``, scoped to the client id, for one use).
2. Open a fresh browser context (no IdP or RP session), go to ``--rp`` + ``--start``, sign in
   at the provider's sign-in page as ``--user``, and wait until the browser is back at the RP.
3. Ask ``--check`` with the browser's cookies: 2xx is signed in; 401, 403 or a redirect (to a
   login page) is not. A profile without ``me_url`` names a page instead (``[signed_in]
   page``, a single-page app's): it is opened in the row's browser, and shows its selector
   (and text) only while someone is signed in.
4. A REJECT row the RP refused: clear the faults and sign in again in the same browser, plainly
   (the provider's session answers, a few redirects): the refusal counts only if that signs the
   RP in; otherwise the row fails, as its refusal may not be for the row's fault.
5. Judge. A row whose fault never fired fails (the RP never got that far, or signed in through
   another client or flow), except userinfo's, which is skipped when the RP signed in without
   calling userinfo.
6. Clear all faults (which also undoes what a row did to the provider's keys).

A row the app goes away in (its process exits, its check URL stops answering) fails, saying so;
the rows after it run once the app is back (a command the profile started is started again)
and are not run (SKIP) when it is not (:mod:`scenarios.conformance.app_gone`).

Back-channel logout rows (with ``--backchannel``): the app's ``backchannelLogoutUri`` is set to
that URL (Graph PATCH; restored afterwards). For each row a fresh browser signs in, the row's
``lt_*`` fault is armed, and the browser's provider session is ended at the provider's logout
endpoint. The provider signs and POSTs the (tampered) logout token; the RP's HTTP status is read
from ``/_mock/notifications``. A valid token must get 200 (or 204) and end the session, every
bad one 400.

Rows run in catalogue order, each from the provider's same keys: clearing a row's fault undoes
what it did to them (the extra key a kid-absent row published, the key rotation row's new key),
so an app's cached key set still holds the key that signs the next row's tokens.
Where the specifications allow either outcome (at_hash / c_hash where the app's flow leaves them
optional, :mod:`scenarios.conformance.hashes`; signature rows on a token-endpoint ID token over
TLS) the row is ``INFO``; a key row whose keys the app never
fetched is not tested (:mod:`scenarios.conformance.judging`).
"""

from __future__ import annotations

from scenarios.conformance.cli import HELP, configure, handle
from scenarios.conformance.control import MockControl, SetupError
from scenarios.conformance.rows import ROWS
from scenarios.conformance.runner import ConformanceOptions, preflight, run_rows

__all__ = [
    "HELP",
    "ROWS",
    "ConformanceOptions",
    "MockControl",
    "SetupError",
    "configure",
    "handle",
    "preflight",
    "run_rows",
]
