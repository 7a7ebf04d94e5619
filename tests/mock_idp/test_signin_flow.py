"""The sign-in state machine (:mod:`mock_idp.signin.flow`), as pure functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mock_idp.config import IdpConfig
from mock_idp.errors import EntraError
from mock_idp.signin import flow
from mock_idp.store import Session, Store, Tenant, User

NOW = datetime(2027, 1, 1, tzinfo=UTC)


@pytest.fixture
def tenant() -> Tenant:
    store = Store.from_config(IdpConfig.default(), NOW - timedelta(days=2))
    return next(iter(store.tenants.values()))


def _user(tenant: Tenant, name: str) -> User:
    user = tenant.find_user(f"{name}@contoso.onmicrosoft.com")
    assert user is not None
    return user


def _account(tenant: Tenant, name: str, *, age: timedelta = timedelta(minutes=5)
             ) -> flow.Account:
    user = _user(tenant, name)
    session = Session(id=f"s-{name}", tenant_id=tenant.id, user_id=user.id,
                      auth_time=NOW - age, expires_at=NOW + timedelta(hours=1))
    return flow.Account(session, user)


def _entry(*accounts: flow.Account, prompt: str | None = None, hint: User | None = None,
           max_age: int | None = None, sid: str | None = None) -> flow.Entry:
    return flow.Entry(prompt=prompt, login_hint=hint.upn if hint else None, hinted=hint,
                      max_age=max_age, accounts=accounts, now=NOW, sid=sid)


def test_no_account_starts_at_the_username_page() -> None:
    assert flow.start(_entry()) == flow.ShowUsername("")


def test_one_account_is_silent(tenant: Tenant) -> None:
    alice = _account(tenant, "alice")
    assert flow.start(_entry(alice)) == flow.Silent(alice)


def test_two_accounts_show_the_picker(tenant: Tenant) -> None:
    accounts = (_account(tenant, "alice"), _account(tenant, "bob"))
    assert flow.start(_entry(*accounts)) == flow.ShowPicker(accounts)


def test_a_hint_chooses_among_accounts_or_asks_that_users_password(tenant: Tenant) -> None:
    alice, bob = _account(tenant, "alice"), _account(tenant, "bob")
    assert flow.start(_entry(alice, bob, hint=bob.user)) == flow.Silent(bob)
    dave = _user(tenant, "dave")
    # A known user's hint skips the username (MSAL.js issue 4970), also for prompt=login.
    assert flow.start(_entry(alice, hint=dave)) == flow.ShowPassword(dave.upn)
    assert flow.start(_entry(hint=dave, prompt="login")) == flow.ShowPassword(dave.upn)
    assert flow.start(_entry(hint=dave, prompt="select_account")) == flow.ShowPassword(dave.upn)
    by_id = flow.Entry(prompt=None, login_hint=dave.id, hinted=dave, max_age=None,
                       accounts=(), now=NOW)  # the mock's own reading: the username, typed
    assert flow.start(by_id) == flow.ShowUsername(dave.upn)


def test_a_hint_naming_no_one_known_is_typed_in_the_username(tenant: Tenant) -> None:
    entry = flow.Entry(prompt=None, login_hint="someone@else.example", hinted=None,
                       max_age=None, accounts=(_account(tenant, "alice"),), now=NOW)
    assert flow.start(entry) == flow.ShowUsername("someone@else.example")


def test_sid_names_the_one_session_that_may_answer(tenant: Tenant) -> None:
    alice, bob = _account(tenant, "alice"), _account(tenant, "bob")
    assert flow.start(_entry(alice, bob, prompt="none", sid="s-bob")) == flow.Silent(bob)
    assert flow.start(_entry(alice, bob, sid="s-alice")) == flow.Silent(alice)
    gone = flow.start(_entry(alice, bob, prompt="none", sid="s-carol"))
    assert isinstance(gone, flow.Refuse) and gone.error.code == 50058


@pytest.mark.parametrize("prompt, expected", [("login", "username"),
                                              ("select_account", "picker")])
def test_prompts_that_always_show_a_page(tenant: Tenant, prompt: str, expected: str) -> None:
    outcome = flow.start(_entry(_account(tenant, "alice"), prompt=prompt))
    kind = {flow.ShowUsername: "username", flow.ShowPicker: "picker"}[type(outcome)]
    assert kind == expected


def test_prompt_none(tenant: Tenant) -> None:
    alice, bob = _account(tenant, "alice"), _account(tenant, "bob")
    assert flow.start(_entry(prompt="none")) == flow.Refuse(EntraError(50058))
    assert flow.start(_entry(alice, prompt="none")) == flow.Silent(alice)
    outcome = flow.start(_entry(alice, bob, prompt="none"))
    assert isinstance(outcome, flow.Refuse) and outcome.error.code == 16000


def test_max_age_asks_again_for_an_old_session(tenant: Tenant) -> None:
    """For the password only: the username is remembered (MicrosoftDocs/azure-docs#51307,
    max_age=0 is not prompt=login), also after the account's tile is picked."""
    old = _account(tenant, "alice", age=timedelta(hours=2))
    assert flow.start(_entry(old, max_age=60)) == flow.ShowPassword(old.user.upn)
    assert flow.start(_entry(old, max_age=0)) == flow.ShowPassword(old.user.upn)
    picked = _entry(old, max_age=0, prompt="select_account")
    assert flow.start(picked) == flow.ShowPicker((old,))
    assert flow.pick((old,), old.user.id, picked) == flow.ShowPassword(old.user.upn)
    assert flow.start(_entry(old, max_age=0, prompt="login")) == flow.ShowUsername("")
    outcome = flow.start(_entry(old, max_age=60, prompt="none"))
    assert isinstance(outcome, flow.Refuse) and outcome.error.code == 50058


def test_pick(tenant: Tenant) -> None:
    alice = _account(tenant, "alice")
    entry = _entry(alice)
    assert flow.pick((alice,), alice.user.id, entry) == flow.Silent(alice)
    assert flow.pick((alice,), "other", entry) == flow.ShowUsername()


def test_username_and_password_steps(tenant: Tenant) -> None:
    unknown = flow.username_step(tenant, "nobody@contoso.onmicrosoft.com")
    assert isinstance(unknown, flow.ShowUsername) and unknown.error is not None
    assert unknown.error.code == 50034
    upn = "alice@contoso.onmicrosoft.com"
    assert flow.username_step(tenant, f"  {upn} ") == flow.ShowPassword(upn)
    wrong = flow.password_step(tenant, upn, "nope", now=NOW)
    assert isinstance(wrong, flow.ShowPassword) and wrong.error is not None
    assert wrong.error.code == 50126
    assert flow.password_step(tenant, upn, "P@ssw0rd-alice", now=NOW) == flow.SignedIn(
        _user(tenant, "alice"))
    disabled = flow.password_step(tenant, "carol@contoso.onmicrosoft.com", "P@ssw0rd-carol",
                                  now=NOW)
    assert isinstance(disabled, flow.Refuse) and disabled.error.code == 50057


def _codes(tenant: Tenant, passwords: list[str], now: datetime = NOW) -> list[int | None]:
    alice = _user(tenant, "alice")
    out: list[int | None] = []
    for given in passwords:
        error = flow.check_password(tenant, alice, given, now)
        out.append(error.code if error is not None else None)
    return out


def test_ten_different_wrong_passwords_lock_the_account(tenant: Tenant) -> None:
    assert (tenant.lockout.threshold, tenant.lockout.duration) == (10, timedelta(seconds=60))
    codes = _codes(tenant, [f"wrong-{i}" for i in range(10)])
    assert codes == [50126] * 9 + [50053]
    # Locked: the right password is refused too, until the lockout has run out.
    assert _codes(tenant, ["P@ssw0rd-alice"], NOW + timedelta(seconds=59)) == [50053]
    assert _codes(tenant, ["P@ssw0rd-alice"], NOW + timedelta(seconds=60)) == [None]
    # A good sign-in starts the count again.
    assert _codes(tenant, [f"again-{i}" for i in range(9)], NOW + timedelta(minutes=2)) == \
        [50126] * 9


def test_the_same_wrong_password_does_not_count_again(tenant: Tenant) -> None:
    # Smart lockout remembers the last three bad passwords.
    assert _codes(tenant, ["typo"] * 30) == [50126] * 30
    assert _codes(tenant, ["a", "b", "c", "a", "b", "c"]) == [50126] * 6
    assert tenant.lockout.counters[_user(tenant, "alice").id].failures == 4


def test_after_a_lockout_the_next_failure_locks_again_for_longer(tenant: Tenant) -> None:
    tenant.lockout.threshold = 2
    assert _codes(tenant, ["a", "b"]) == [50126, 50053]
    later = NOW + timedelta(seconds=61)
    assert _codes(tenant, ["c"], later) == [50053]
    assert _codes(tenant, ["P@ssw0rd-alice"], later + timedelta(seconds=119)) == [50053]
    assert _codes(tenant, ["P@ssw0rd-alice"], later + timedelta(seconds=120)) == [None]


def test_a_wrong_password_of_an_unknown_user_locks_nothing(tenant: Tenant) -> None:
    for _ in range(12):
        outcome = flow.password_step(tenant, "nobody@contoso.onmicrosoft.com", "x", now=NOW)
        assert isinstance(outcome, flow.ShowPassword) and outcome.error is not None
        assert outcome.error.code == 50126
    assert tenant.lockout.counters == {}


def test_stay_signed_in_decision() -> None:
    assert flow.after_password(show_kmsi=True, remembered=None) == flow.AskKmsi()
    assert flow.after_password(show_kmsi=True, remembered=True) == flow.Remember(True)
    assert flow.after_password(show_kmsi=False, remembered=True) == flow.Remember(False)
    # A device-code sign-in goes on to "Are you trying to sign in to …?" without asking.
    assert flow.after_password(show_kmsi=True, remembered=None, device_code=True
                               ) == flow.Remember(False)
    assert flow.after_password(show_kmsi=True, remembered=True, device_code=True
                               ) == flow.Remember(True)


def test_a_cancel_tells_the_app_it_was_the_users() -> None:
    # Entra: error=access_denied&error_subcode=cancel&error_description=AADSTS65004…
    err = flow.cancelled()
    assert (err.code, err.error_value, err.extra) == (65004, "access_denied",
                                                      {"error_subcode": "cancel"})


def test_consent_decision() -> None:
    def decide(consented: bool, prompt: str | None, shown: bool = False) -> object:
        return flow.before_issue(consented=consented, prompt=prompt, consent_shown=shown,
                                 app_id="a", app_name="A")

    assert decide(True, None) == flow.Issue()
    assert decide(False, None) == flow.AskConsent()
    assert decide(True, "consent") == flow.AskConsent()
    assert decide(True, "consent", shown=True) == flow.Issue()
    refused = decide(False, "none")
    assert isinstance(refused, flow.Refuse) and refused.error.code == 65001
