"""The element ids, names and texts of Entra's sign-in pages that scripts select.

Public scripts that sign in to login.microsoftonline.com (Microsoft's MSAL.js end-to-end helpers,
aws-azure-login, Selenium and Playwright helpers) find the pages by these values, so the mock's
templates carry them as a contract next to their own labels. This table is the single source:
the templates read it (as the ``ids`` global), and the tests and
:class:`scenarios.drivers.EntraDriver`
import it.

Where the values come from (facts only, no markup was copied):

- username ``input[name=loginfmt]#i0116`` (type email), Next / Sign in / Yes ``#idSIButton9``
  (an ``input[type=submit]``), password ``input[name=passwd]#i0118``, the forgot-password link
  ``#idA_PWD_ForgotPassword``: MSAL.js ``e2eTestUtils`` ``enterCredentials``;
- ``.moveOffScreen`` on the input of the step already answered, ``.alert-error`` on error
  messages, ``.has-error`` on the input in error, ``#KmsiDescription``, ``#idBtn_Back`` (No),
  ``#service_exception_message``: aws-azure-login's page states (``src/login.ts``);
- ``#tilesHolder`` and tiles ``div.table[data-test-id="<upn>"]``, the UPN lowercased:
  account-picker helpers
  (``#tilesHolder > div.tile-container > div > div.table[data-test-id*="@…"]``, and
  ``[data-test-id="${email.toLowerCase()}"]`` on the sign-in and sign-out pickers);
- ``#otc`` on the device-login page: device-code Selenium helpers (``By.ID, "otc"``);
- the username input's placeholder "Email, phone, or Skype" and accessible name "Enter your
  email, phone, or Skype." (its ``aria-label``), and the password input's placeholder
  "Password": the locators Playwright's code generator records on Entra's pages
  (``getByPlaceholder('Email, phone, or Skype')``, ``getByRole('textbox', { name: 'Enter your
  email, phone, or Skype.' })``, ``getByPlaceholder('Password')``) and Selenium helpers'
  ``[aria-label='Enter your email, phone, or Skype.']``;
- the secondary button ``#idBtn_Back`` as an ``input[type=button]`` and the primary as the
  form's one ``input[type=submit]``: saved copies of the sign-in page's footer-buttons
  component, and Selenium helpers that answer "Stay signed in?" with Yes by clicking
  ``//input[@type='submit']``;
- the password view's back arrow ``button#idBtn_Back.backButton`` (``aria-label="Back"``) in
  the identity banner, and the footer buttons inside a ``.row``: Puppeteer login scripts for
  Office 365 wait for ``#idBtn_Back`` once the username is answered, and tell "Stay signed
  in?"'s No by ``.row #idBtn_Back``;
- ``<meta name="PageID">`` naming the page (``ConvergedSignIn``, ``ConvergedTFA``,
  ``KmsiInterrupt``, ``ConvergedChangePassword``, ``ConvergedError``): login scripts that tell
  Entra's pages apart by it (HTTP-only sign-in scripts read the same value as ``$Config.pgid``);
- "Update your password" (``ConvergedChangePassword``): ``#currentPassword``, ``#newPassword``
  and ``#confirmNewPassword``, named ``currentpasswd``, ``newpasswd`` and ``confirmnewpasswd``,
  as scripts that set a new account's first password select them and as Entra's password
  change posts them;
- the password input's accessible name "Enter the password for <upn>" (Playwright's code
  generator records ``getByRole('textbox', { name: 'Enter the password for' })`` on Entra) and
  its class ``form-control`` (one of :data:`PASSWORD_CLASS`'s), and ``#KmsiDescription``'s
  text (a public Selenium script waits on both);
- the username page's two messages: public Playwright and Cucumber suites against Entra assert
  them word for word;
- "Enter code": ``#idDiv_SAOTCC_Description`` (aws-azure-login reads its text whenever the page
  shows) and the "Don't ask again" checkbox ``#idChkBx_SAOTCC_TD`` (TOTP scripts tick it);
- Entra's other second-factor pages, which the mock does not show (its one second factor is an
  authenticator app's code), so that a driver stops there: "Approve sign in request" (a push
  to the Authenticator app) ``#idDiv_SAOTCAS_Title`` (a heading with that text),
  ``#idDiv_SAOTCAS_Description`` (aws-azure-login's "TFA instructions" state) and number
  matching's ``#idRichContext_DisplaySign``, and "Verify your identity", the list of methods
  ``#idDiv_SAOTCS_Proofs`` (login scripts pick a method there, or stop: MFA-aware sign-in
  helpers treat both as "the account must give a second factor");
- the device-code confirmation ``#remoteConnectDescription`` (MSAL.js ``e2eTestUtils``
  ``approveRemoteConnect``), its Continue the primary button named ``remoteConnectSubmit``
  (which that helper clicks; msal4j's ``SeleniumExtensions`` clicks ``#idSIButton9`` on "Are
  you trying to sign in to …"), and the last page's "You have
  signed in to the <app> application on your device" (device-code scripts match it);
- the whole ``class`` attributes of the username input (:data:`USERNAME_CLASS`), the password
  input (:data:`PASSWORD_CLASS`), the primary and the secondary button (:data:`PRIMARY_CLASS`,
  :data:`SECONDARY_CLASS`), and ``has-error ext-has-error`` on an input in error: Selenium
  (Java, Python), Protractor, Serenity and Katalon page objects match them whole with XPath
  (``//input[@class='win-button button_primary button ext-button primary ext-primary']``) or
  click ``By.CLASS_NAME("ext-primary")``; Puppeteer scripts tell a refused address or password
  by ``input[class="… has-error ext-has-error"]``. Where the variants differ over time these
  are the ones saved copies of the current pages carry (the secondary's ``button-secondary``
  with a hyphen, the primary's ``button_primary``; scripts of an older page match
  ``button ext-button secondary ext-secondary``). "Enter code"'s input has ``form-control``
  alone, and its Verify the primary's class;
- the password input ``#i0118`` already in the username view, ``class="moveOffScreen"`` alone,
  ``aria-hidden="true"``, ``tabindex="-1"`` (Entra's pages keep it there for a browser's
  saved password); the password view shows that input, its ``aria-hidden`` removed. A
  Puppeteer sign-in helper reads ``input[type="password"]``'s ``aria-hidden`` to tell whether
  the username is still asked, then waits for the email and password inputs without it.
  ``.moveOffScreen`` is, as Entra's style sheet has it, of no size at all, at the window's
  corner: Playwright counts an element with a box as visible, so a 1x1 px one would be;
- ``div#otherTileText`` ("Use another account") inside ``#otherTile``: Robot Framework,
  WebdriverIO, Selenium and Puppeteer scripts click ``//*[@id="otherTileText"]`` on "Pick an
  account" (Entra's sign-out picker has no such tile);
- "Stay signed in?"'s heading ``[data-bind="text: str['STR_Kmsi_Title']"]``, which a
  Playwright page object waits for (a saved copy of the page shows the attribute);
- the error page: a "Sign in" heading, then "Sorry, but we’re having trouble signing you in."
  (a typographic apostrophe) as a paragraph, and ``Timestamp: 2026-06-16T09:25:54Z``: a public
  Playwright snapshot of Entra's error page.
"""

from __future__ import annotations

from typing import Final

USERNAME_INPUT: Final = "i0116"
USERNAME_NAME: Final = "loginfmt"
PASSWORD_INPUT: Final = "i0118"
PASSWORD_NAME: Final = "passwd"
PRIMARY_BUTTON: Final = "idSIButton9"
"""Next, Sign in, Yes, Accept, Continue: the page's primary ``input[type=submit]``."""
SECONDARY_BUTTON: Final = "idBtn_Back"
"""No, Cancel: the page's secondary button, an ``input[type=button]`` as on Entra (its footer
buttons, in a :data:`BUTTON_ROW`: the primary is the form's one submit button). The password
view's back arrow has this id too, outside any row: a ``button`` of class
:data:`BACK_BUTTON_CLASS` named :data:`BACK_LABEL`, before the user's name."""
BUTTON_ROW: Final = "row"
"""The class of the element around a page's footer buttons (``.row #idBtn_Back`` is No)."""
BACK_BUTTON_CLASS: Final = "backButton"
BACK_LABEL: Final = "Back"
"""The back arrow's ``aria-label``, so its accessible name."""
HEADER: Final = "loginHeader"
USERNAME_ERROR: Final = "usernameError"
PASSWORD_ERROR: Final = "passwordError"
FORGOT_PASSWORD: Final = "idA_PWD_ForgotPassword"
KMSI_DESCRIPTION: Final = "KmsiDescription"
KMSI_CHECKBOX: Final = "KmsiCheckboxField"
KMSI_CHECKBOX_NAME: Final = "DontShowAgain"
TILES: Final = "tilesHolder"
OTHER_TILE: Final = "otherTile"
TILE_ATTRIBUTE: Final = "data-test-id"
"""Each account tile carries its UPN, lowercased, in this attribute."""
SERVICE_EXCEPTION: Final = "service_exception_message"
DEVICE_CODE_INPUT: Final = "otc"
USERNAME_PLACEHOLDER: Final = "Email, phone, or Skype"
USERNAME_LABEL: Final = "Enter your email, phone, or Skype."
"""The username input's ``aria-label``, so its accessible name."""
PASSWORD_PLACEHOLDER: Final = "Password"
PASSWORD_LABEL: Final = "Enter the password for "
"""The password input's ``aria-label`` is this and the user's UPN: its accessible name."""
INPUT_CLASS: Final = "form-control"
"""A class of the username and password inputs (and the only one of "Enter code"'s)."""
USERNAME_CLASS: Final = "form-control ltr_override input ext-input text-box ext-text-box"
"""The username input's whole ``class`` attribute (scripts match it whole, with XPath's
``@class=``)."""
PASSWORD_CLASS: Final = "form-control input ext-input text-box ext-text-box"
"""The shown password input's whole ``class`` attribute."""
PRIMARY_CLASS: Final = "win-button button_primary button ext-button primary ext-primary"
"""The whole ``class`` attribute of the primary button (:data:`PRIMARY_BUTTON`, and "Enter
code"'s :data:`CODE_SUBMIT`)."""
SECONDARY_CLASS: Final = "win-button button-secondary button ext-button secondary ext-secondary"
"""The whole ``class`` attribute of the footer's secondary button (No, Cancel)."""
OFF_SCREEN: Final = "moveOffScreen"
ALERT_ERROR: Final = "alert-error"
HAS_ERROR: Final = "has-error"
HAS_ERROR_CLASSES: Final = "has-error ext-has-error"
"""What the input in error adds to its ``class`` attribute."""
KMSI_TITLE_BINDING: Final = "text: str['STR_Kmsi_Title']"
"""The ``data-bind`` of "Stay signed in?"'s heading, which page objects wait for."""
OTHER_TILE_TEXT: Final = "otherTileText"
"""The "Use another account" text inside :data:`OTHER_TILE`."""

PAGE_ID_META: Final = "PageID"
"""The ``<meta>`` whose ``content`` names the page (the values below)."""
PAGE_SIGN_IN: Final = "ConvergedSignIn"
"""The username, the password and "Pick an account"."""
PAGE_CODE: Final = "ConvergedTFA"
PAGE_KMSI: Final = "KmsiInterrupt"
PAGE_CHANGE_PASSWORD: Final = "ConvergedChangePassword"
PAGE_ERROR: Final = "ConvergedError"

CURRENT_PASSWORD_INPUT: Final = "currentPassword"
CURRENT_PASSWORD_NAME: Final = "currentpasswd"
NEW_PASSWORD_INPUT: Final = "newPassword"
NEW_PASSWORD_NAME: Final = "newpasswd"
CONFIRM_PASSWORD_INPUT: Final = "confirmNewPassword"
CONFIRM_PASSWORD_NAME: Final = "confirmnewpasswd"

CODE_TITLE: Final = "idDiv_SAOTCC_Title"
CODE_INPUT: Final = "idTxtBx_SAOTCC_OTC"
"""The authenticator app's code, ``name="otc"``: the field TOTP login scripts type into."""
CODE_SUBMIT: Final = "idSubmit_SAOTCC_Continue"
CODE_ERROR: Final = "idSpan_SAOTCC_Error_OTC"
CODE_DESCRIPTION: Final = "idDiv_SAOTCC_Description"
CODE_REMEMBER: Final = "idChkBx_SAOTCC_TD"
"""The "Don't ask again" checkbox, named as ``$Config.sTrustedDeviceCheckboxName`` says."""
APPROVE_TITLE: Final = "idDiv_SAOTCAS_Title"
APPROVE_DESCRIPTION: Final = "idDiv_SAOTCAS_Description"
APPROVE_NUMBER: Final = "idRichContext_DisplaySign"
"""The number to pick in the Authenticator app on "Approve sign in request" (number matching)."""
PROOFS: Final = "idDiv_SAOTCS_Proofs"
"""The methods "Verify your identity" lists (an app's notification or code, a text, a call)."""
REMOTE_CONNECT_DESCRIPTION: Final = "remoteConnectDescription"
"""The device-code confirmation's description."""
REMOTE_CONNECT_SUBMIT_NAME: Final = "remoteConnectSubmit"
"""The name of the device-code confirmation's Continue (id :data:`PRIMARY_BUTTON`), which it
posts as the answer: MSAL.js's ``approveRemoteConnect`` clicks
``#remoteConnectSubmit, input[name='remoteConnectSubmit']`` (its e2eTestUtils
``HtmlSelectors``), msal4j's Selenium helper ``#idSIButton9``."""

# Texts scripts match on.
PASSWORD_INCORRECT: Final = ("Your account or password is incorrect. If you don't remember your "
                             "password, reset it now.")
ACCOUNT_LOCKED: Final = ("Your account is temporarily locked to prevent unauthorized use. Try "
                         "again later, and if you still have trouble, contact your admin.")
"""The password page's message while smart lockout holds the account (Entra's smart lockout
guide quotes it)."""
CODE_HEADING: Final = "Enter code"
APPROVE_HEADING: Final = "Approve sign in request"
VERIFY_HEADING: Final = "Verify your identity"
CHANGE_PASSWORD_HEADING: Final = "Update your password"
CODE_WRONG: Final = "You didn't enter the expected verification code. Please try again."
ERROR_TITLE: Final = "Sign in"
"""The error page's heading."""
ERROR_MESSAGE: Final = "Sorry, but we’re having trouble signing you in."
"""The error page's first paragraph (and ``$Config.strMainMessage``), with Entra's ’."""
USERNAME_NOT_FOUND: Final = ("This username may be incorrect. Make sure you typed it correctly. "
                             "Otherwise, contact your admin.")
USERNAME_EMPTY: Final = "Enter a valid email address, phone number, or Skype name."
PERSONAL_ACCOUNT_NOT_FOUND: Final = ("That Microsoft account doesn't exist. Enter a different "
                                     "account or get a new one.")
"""The personal accounts' sign-in (``/consumers``) when the username is no personal account,
a work account's too, as users report it (WayneGongCN/microsoft-todo-browser-ext #73, a work
account; agam778/MS-365-Electron #13, a school account)."""
CONSUMERS_ERROR_HEADING: Final = "We're unable to complete your request"
NOT_ENABLED_FOR_CONSUMERS: Final = (
    "unauthorized_client: The client does not exist or is not enabled for consumers. If you are "
    "the application developer, configure a new application through the App Registrations in "
    "the Azure Portal at https://go.microsoft.com/fwlink/?linkid=2083908.")
"""Microsoft account's error page for an app ``/consumers`` does not serve, heading and message
as users quote them (microsoftgraph/msgraph-sample-nodeexpressapp #152, sspeiser/onenote-export
#8, nextcloud/integration_onedrive #27)."""
KMSI_HEADING: Final = "Stay signed in?"
KMSI_TEXT: Final = "Do this to reduce the number of times you are asked to sign in."
PICKER_HEADING: Final = "Pick an account"
SIGNED_OUT_HEADING: Final = "You signed out of your account"
DEVICE_CONFIRM_HEADING: Final = "Are you trying to sign in to {app}?"
DEVICE_SIGNED_IN: Final = ("You have signed in to the {app} application on your device. You may "
                           "now close this window.")
CONSENT_HEADING: Final = "Permissions requested"
ORGANIZATION_CONSENT_LABEL: Final = "Consent on behalf of your organization"
"""The consent page's checkbox for an administrator (Entra's label, which admin guides name)."""
NEED_ADMIN_HEADING: Final = "Need admin approval"
RETURN_WITHOUT_CONSENT: Final = "Return to the application without granting consent"
SWITCH_TO_ADMIN: Final = "Have an admin account? Sign in with that account"
"""The two ways out of "Need admin approval", as users report them."""

# The mock's own form names and values for what has no documented id on Entra's pages.
ORGANIZATION_CONSENT_NAME: Final = "ConsentForOrganization"
RETURN_ANSWER: Final = "Return"
SWITCH_ACCOUNT_ANSWER: Final = "SwitchAccount"
USE_ANOTHER_ACCOUNT: Final = "Use another account"

