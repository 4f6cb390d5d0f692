"""Second factors on top of the magic link: TOTP, passkeys (WebAuthn), recovery codes, lockouts.

    secret = new_totp_secret(); uri = totp_uri(secret, account)       # shown as a QR code
    codes = await add_totp(pool, key, account, name, secret, code)    # codes: recovery codes, first factor only
    result = await check_totp(pool, key, account, code)               # Checked(ok, message, lockouts)
    options, state = passkey_registration(account, rp, existing_ids)  # the browser makes a credential
    codes = await add_passkey(pool, account, name, rp, state, credential_json)
    options, state = passkey_assertion(rp, ids); result = await check_passkey(pool, account, rp, state, cred)
    result = await check_recovery_code(pool, account, code)

Lockouts are counted per account: TOTP_LOCK_AFTER wrong TOTP codes in a row lock TOTP until an
admin unlocks it (or the person, with another factor, replaces it); ALL_LOCK_AFTER failures of any
factor lock every factor for ALL_LOCK_FOR. Each lockout is returned so that the caller mails the
person after the transaction. A failure is counted in a transaction of its own (committed), so a
refusal is never rolled back with it. Nothing here is undone by a mail alone: removing a factor
needs a fresh second factor (the pages check), and only an admin unlocks, with a reason.
"""
from __future__ import annotations

import base64
import json
import re
import secrets
import time
from dataclasses import dataclass, field

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken
from webauthn import (generate_authentication_options, generate_registration_options, options_to_json,
                      verify_authentication_response, verify_registration_response)
from webauthn.helpers import base64url_to_bytes
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (AuthenticatorSelectionCriteria, PublicKeyCredentialDescriptor,
                                      ResidentKeyRequirement, UserVerificationRequirement)

from capsul.hub import db
from capsul.hub.accounts.stored_secrets import secret_hash
from capsul.hub.db import hub_secrets
from capsul.hub.db import second_factors as factors_db

TOTP_LOCK_AFTER = 8          # wrong TOTP codes in a row
ALL_LOCK_AFTER = 100         # failures of any factor since the last lockout
ALL_LOCK_FOR = 3600          # seconds every factor stays locked then
RECENT = 15 * 60             # seconds: making a token or opening a console needs a factor used this recently
FRESH = 5 * 60               # seconds: removing a factor or making new recovery codes needs one this fresh
RECOVERY_CODES = 10
TOTP_WINDOW = 1              # steps either side of now that are accepted (clocks drift)
_NAME_RE = re.compile(r"^[^\x00-\x1f\x7f]{1,100}$")
_CODE_RE = re.compile(r"^[0-9]{6}$")
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
_RECOVERY_RE = re.compile(r"^[a-z0-9]{12}$")
KIND_WORDS = {"totp": "authenticator app (TOTP)", "passkey": "passkey", "recovery_code": "recovery code"}


class FactorRefused(Exception):
    """Refused with a message for the person; `status` is the HTTP status to answer."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


@dataclass
class Checked:
    ok: bool
    message: str = ""
    lockouts: list[str] = field(default_factory=list)  # "totp" / "all": mail the person about each


@dataclass(frozen=True)
class RelyingParty:
    """Who passkeys are made for: the site's host name (no port) and its exact origin."""
    id: str
    origin: str
    name: str = "capsul"


async def factor_key(pool) -> Fernet:
    """The key TOTP secrets are kept under (made once by the first hub, as the session key is)."""
    async with db.cursor(pool) as cur:
        return Fernet(await hub_secrets.get_or_make(cur, "second_factor_key",
                                                    lambda: Fernet.generate_key().decode()))


def valid_name(name: object) -> str:
    name = name.strip() if isinstance(name, str) else ""
    if not _NAME_RE.match(name):
        raise FactorRefused("Give the factor a name of 1 to 100 characters, such as “phone”.")
    return name


# --- TOTP ---------------------------------------------------------------------------------------

def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, account: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer)


def qr_svg_data_uri(text: str) -> str:
    """A QR code of `text` as an SVG data: URI, made here (the page's CSP allows data: images)."""
    return segno.make(text, error="m").svg_data_uri(scale=5, border=2)


def _matching_step(secret: str, code: str, after_step: int | None, now: float) -> int | None:
    """The time step `code` is right for, within TOTP_WINDOW of now and after `after_step` (each code
    works once); None if there is none."""
    if not isinstance(code, str):
        return None
    code = code.replace(" ", "")
    if not _CODE_RE.match(code):
        return None
    totp = pyotp.TOTP(secret)
    now_step = int(now) // totp.interval
    for step in range(now_step - TOTP_WINDOW, now_step + TOTP_WINDOW + 1):
        if (after_step is None or step > after_step) and secrets.compare_digest(totp.at(step * totp.interval), code):
            return step
    return None


async def add_totp(pool, key: Fernet, account: str, name: object, secret: str, code: object,
                   now: float | None = None) -> list[str]:
    """Turn on TOTP with `secret`, once `code` proves the app has it; the new recovery codes when it is
    the account's first factor (else [])."""
    name = valid_name(name)
    if not isinstance(secret, str) or not re.fullmatch(r"[A-Z2-7]{32}", secret):
        raise FactorRefused("This set-up form has expired; start again.")
    step = _matching_step(secret, code, None, time.time() if now is None else now)
    if step is None:
        raise FactorRefused("That code is not the one your app shows now; check its clock and enter the current code.")
    async with db.cursor(pool) as cur:
        async with cur.begin():
            first = not await factors_db.has_factors(cur, account)
            if await factors_db.add_totp(cur, account, name, key.encrypt(secret.encode()).decode(), step) is None:
                raise FactorRefused("You have an authenticator app already; remove it first to use another.", 409)
            await factors_db.record(cur, account, "added", "totp", name)
            # a new TOTP is a fresh start for its lockout
            locks = await factors_db.locks_for_update(cur, account)
            await factors_db.set_locks(cur, account, totp_failures=0, failures=locks["failures"], totp_locked=False)
            return await _first_codes(cur, account) if first else []


async def check_totp(pool, key: Fernet, account: str, code: object, now: float | None = None) -> Checked:
    now = time.time() if now is None else now
    async with db.cursor(pool) as cur:
        async with cur.begin():
            locks = await factors_db.locks_for_update(cur, account)
            refused = _locked(locks, "totp")
            if refused:
                return Checked(False, refused)
            factor = await factors_db.totp_of(cur, account)
            if factor is None:
                return Checked(False, "You have no authenticator app set up; use another factor.")
            try:
                secret = key.decrypt(factor["totp_secret"].encode()).decode()
            except InvalidToken:  # the key was changed by hand: say so rather than count failures
                return Checked(False, "Your authenticator app cannot be checked right now; use another factor "
                                      "and tell support.")
            step = _matching_step(secret, code, factor["totp_last_step"], now)
            if step is not None:
                await factors_db.used_totp(cur, factor["id"], step)
                await factors_db.set_locks(cur, account, totp_failures=0, failures=locks["failures"])
                await factors_db.record(cur, account, "used", "totp")
                return Checked(True)
            return await _failed(cur, account, "totp", locks, "That code is not right, or was used already.")


# --- passkeys -------------------------------------------------------------------------------------

def passkey_registration(account: str, rp: RelyingParty, existing: list[bytes]) -> tuple[str, str]:
    """(options as JSON for navigator.credentials.create, the state to keep until the answer)."""
    options = generate_registration_options(
        rp_id=rp.id, rp_name=rp.name, user_name=account, user_id=secrets.token_bytes(16),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.DISCOURAGED, user_verification=UserVerificationRequirement.PREFERRED),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=i) for i in existing])
    return options_to_json(options), _b64(options.challenge)


async def add_passkey(pool, account: str, name: object, rp: RelyingParty, state: object,
                      credential: object) -> list[str]:
    """Register the browser's new credential; the new recovery codes when it is the first factor."""
    name = valid_name(name)
    challenge = _unb64(state)
    if challenge is None:
        raise FactorRefused("This passkey request has expired; start again.")
    try:
        verified = verify_registration_response(credential=_credential_json(credential), expected_challenge=challenge,
                                                expected_rp_id=rp.id, expected_origin=rp.origin)
    except (WebAuthnException, ValueError, KeyError, TypeError) as e:
        raise FactorRefused(f"The browser's passkey could not be checked: {e}") from None
    async with db.cursor(pool) as cur:
        async with cur.begin():
            first = not await factors_db.has_factors(cur, account)
            if await factors_db.add_passkey(cur, account, name, verified.credential_id, verified.credential_public_key,
                                            verified.sign_count) is None:
                raise FactorRefused("That passkey is registered already.", 409)
            await factors_db.record(cur, account, "added", "passkey", name)
            return await _first_codes(cur, account) if first else []


async def passkey_ids(pool, account: str) -> list[bytes]:
    async with db.cursor(pool) as cur:
        return await factors_db.passkey_ids(cur, account)


async def passkey_assertion(pool, account: str, rp: RelyingParty) -> tuple[str, str] | None:
    """(options as JSON for navigator.credentials.get, the state to keep); None without passkeys."""
    ids = await passkey_ids(pool, account)
    if not ids:
        return None
    options = generate_authentication_options(rp_id=rp.id, allow_credentials=[PublicKeyCredentialDescriptor(id=i) for i in ids],
                                              user_verification=UserVerificationRequirement.PREFERRED)
    return options_to_json(options), _b64(options.challenge)


async def check_passkey(pool, account: str, rp: RelyingParty, state: object, credential: object) -> Checked:
    challenge = _unb64(state)
    async with db.cursor(pool) as cur:
        async with cur.begin():
            locks = await factors_db.locks_for_update(cur, account)
            refused = _locked(locks, "passkey")
            if refused:
                return Checked(False, refused)
            try:
                if challenge is None:
                    raise ValueError("this passkey request has expired; try again")
                parsed = _credential_json(credential)
                raw_id = base64url_to_bytes(json.loads(parsed)["rawId"])
                factor = await factors_db.passkey_of(cur, account, raw_id)
                if factor is None:
                    raise ValueError("that passkey is not one of yours")
                verified = verify_authentication_response(
                    credential=parsed, expected_challenge=challenge, expected_rp_id=rp.id, expected_origin=rp.origin,
                    credential_public_key=bytes(factor["public_key"]),
                    credential_current_sign_count=factor["sign_count"])
            except (WebAuthnException, ValueError, KeyError, TypeError) as e:
                return await _failed(cur, account, "passkey", locks, f"The passkey was not accepted: {e}")
            await factors_db.used_passkey(cur, factor["id"], verified.new_sign_count)
            await factors_db.record(cur, account, "used", "passkey", factor["name"])
            return Checked(True)


# --- recovery codes ---------------------------------------------------------------------------------

def _normal_code(code: object) -> str | None:
    code = re.sub(r"[\s-]", "", code).lower() if isinstance(code, str) else ""
    return code if _RECOVERY_RE.match(code) else None


def _new_codes() -> list[str]:
    codes = ["".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(12)) for _ in range(RECOVERY_CODES)]
    return [f"{c[:4]}-{c[4:8]}-{c[8:]}" for c in codes]


async def _first_codes(cur, account: str) -> list[str]:
    codes = _new_codes()
    await factors_db.replace_recovery_codes(cur, account, [secret_hash(_normal_code(c)) for c in codes])
    await factors_db.record(cur, account, "recovery_codes_made")
    return codes


async def new_recovery_codes(pool, account: str) -> list[str]:
    """A new set (the old ones stop working); shown once, only their hashes kept."""
    async with db.cursor(pool) as cur:
        async with cur.begin():
            if not await factors_db.has_factors(cur, account):
                raise FactorRefused("Recovery codes come with a second factor: add one first.", 409)
            return await _first_codes(cur, account)


async def check_recovery_code(pool, account: str, code: object) -> Checked:
    normal = _normal_code(code)
    async with db.cursor(pool) as cur:
        async with cur.begin():
            locks = await factors_db.locks_for_update(cur, account)
            refused = _locked(locks, "recovery_code")
            if refused:
                return Checked(False, refused)
            if normal is not None and await factors_db.use_recovery_code(cur, account, secret_hash(normal)):
                left = await factors_db.recovery_codes_left(cur, account)
                await factors_db.record(cur, account, "used", "recovery_code", f"{left} left")
                return Checked(True, f"You used a recovery code; {left} are left."
                                     + (" Make new ones on your account's second factors page." if left < 3 else ""))
            return await _failed(cur, account, "recovery_code", locks, "That recovery code is not right, or was used already.")


# --- lockouts -----------------------------------------------------------------------------------------

def _locked(locks: dict, kind: str) -> str | None:
    if locks["all_locked"]:
        return ("Too many wrong attempts: every second factor of this account is locked until "
                f"{locks['all_locked_until']:%H:%M} UTC. Ask support if it was not you.")
    if kind == "totp" and locks["totp_locked_at"] is not None:
        return (f"Your authenticator app is locked after {TOTP_LOCK_AFTER} wrong codes. Use a passkey or a "
                "recovery code, or ask support to unlock it.")
    return None


async def _failed(cur, account: str, kind: str, locks: dict, message: str) -> Checked:
    """Count a failure (committed with the caller's transaction, which must not raise after this)."""
    totp_failures = locks["totp_failures"] + (kind == "totp")
    failures = locks["failures"] + 1
    lockouts = []
    await factors_db.record(cur, account, "failed", kind)
    if kind == "totp" and totp_failures >= TOTP_LOCK_AFTER and locks["totp_locked_at"] is None:
        lockouts.append("totp")
        await factors_db.record(cur, account, "locked_totp", "totp", f"after {totp_failures} wrong codes")
        message = _locked({**locks, "totp_locked_at": True}, "totp")
    if failures >= ALL_LOCK_AFTER:
        lockouts.append("all")
        await factors_db.record(cur, account, "locked_all", None, f"after {failures} failures, for an hour")
        await factors_db.set_locks(cur, account, totp_failures=totp_failures, failures=0,
                                   totp_locked=True if "totp" in lockouts else None, all_locked_for=ALL_LOCK_FOR)
        return Checked(False, "Too many wrong attempts: every second factor of this account is locked for an hour. "
                              "Ask support if it was not you.", lockouts)
    await factors_db.set_locks(cur, account, totp_failures=totp_failures, failures=failures,
                               totp_locked=True if "totp" in lockouts else None)
    return Checked(False, message, lockouts)


LOCKOUT_MAILS = {
    "totp": ("Your capsul authenticator app is locked",
             f"Hello,\n\n{TOTP_LOCK_AFTER} wrong authenticator codes in a row were entered for your capsul account, "
             "so codes from your authenticator app are refused from now on.\n\nYou can still log in with a passkey "
             "or a recovery code. If it was not you, someone has your login link: they still cannot log in without "
             "your second factor. Ask support to unlock the app.\n"),
    "all": ("Your capsul second factors are locked for an hour",
            f"Hello,\n\n{ALL_LOCK_AFTER} failed second-factor attempts were made on your capsul account, so every "
            "second factor is refused for the next hour.\n\nIf it was not you, someone is trying to get in: they "
            "still cannot without your second factor. Support can unlock it sooner.\n"),
}


async def unlock(pool, account: str, admin: str, reason: object) -> None:
    """An admin ends every lockout of `account` and resets its counts, with a recorded reason."""
    reason = reason.strip() if isinstance(reason, str) else ""
    if not 1 <= len(reason) <= 500 or "\x00" in reason:
        raise FactorRefused("Write the reason for unlocking (1 to 500 characters): it is kept with the account.")
    async with db.cursor(pool) as cur:
        async with cur.begin():
            await factors_db.locks_for_update(cur, account)
            await factors_db.set_locks(cur, account, totp_failures=0, failures=0, totp_locked=False, all_unlocked=True)
            await factors_db.record(cur, account, "unlocked", admin=admin, reason=reason)


# --- managing --------------------------------------------------------------------------------------------

async def overview(pool, account: str) -> dict:
    async with db.cursor(pool) as cur:
        factors = await factors_db.list_factors(cur, account)
        return {"factors": [{k: f[k] for k in ("id", "kind", "name", "created_at", "last_used_at")} for f in factors],
                "codes_left": await factors_db.recovery_codes_left(cur, account),
                "locks": await factors_db.locks(cur, account),
                "history": await factors_db.history(cur, account)}


async def remove(pool, account: str, factor_id: int) -> dict:
    """Remove one of the account's factors (the page has checked a fresh second factor). Removing the
    last one also drops the recovery codes."""
    async with db.cursor(pool) as cur:
        async with cur.begin():
            removed = await factors_db.remove(cur, account, factor_id)
            if removed is None:
                raise FactorRefused("You have no such second factor.", 404)
            await factors_db.record(cur, account, "removed", removed["kind"], removed["name"])
            if removed["kind"] == "totp":  # its lockout goes with it
                locks = await factors_db.locks_for_update(cur, account)
                await factors_db.set_locks(cur, account, totp_failures=0, failures=locks["failures"], totp_locked=False)
            if not await factors_db.has_factors(cur, account):
                await factors_db.drop_recovery_codes(cur, account)
            return removed


async def used_now(pool, session_id: int) -> None:
    """This login used a second factor just now."""
    async with db.cursor(pool) as cur:
        await factors_db.factor_used_now(cur, session_id)


async def standing(pool, account: str, session_id: int | None) -> dict:
    async with db.cursor(pool) as cur:
        return await factors_db.standing(cur, account, session_id)


async def set_requirement(pool, admin: str, grace_days: int | None) -> None:
    """Require second factors of every account after `grace_days` (None: no longer required)."""
    async with db.cursor(pool) as cur:
        await factors_db.set_policy(cur, grace_days, admin)


async def requirement(pool) -> dict | None:
    async with db.cursor(pool) as cur:
        return await factors_db.policy(cur)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()


def _unb64(state: object) -> bytes | None:
    if not isinstance(state, str) or len(state) > 200:
        return None
    try:
        return base64.urlsafe_b64decode(state.encode())
    except ValueError:
        return None


def _credential_json(credential: object) -> str:
    """The browser's credential (PublicKeyCredential.toJSON()) as the JSON text the library parses."""
    if isinstance(credential, str) and len(credential) <= 20_000:
        json.loads(credential)  # ValueError for anything else
        return credential
    raise ValueError("no passkey answer was sent")
