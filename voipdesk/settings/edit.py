"""One edit of the settings, as the settings dialog makes it on OK, without the widgets (no Qt
here): the values typed are checked, the changed ones go into the live Settings, the file and
then the secrets are written, and if writing fails the changed values are put back.

Threads: check(), apply() and finish() run where the live Settings are changed (the GUI thread,
in the app); write() can take seconds (a keyring may wait to be unlocked), so the app runs it
on a worker thread."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from voipdesk.settings.model import Settings, new_webhook_secret

PORT_ERROR = "The port must be a number from 1024 to 65535, or empty."


def domain_only(text: str) -> str:
    """The ngrok domain typed: people paste the whole address; keep only the domain when that
    is all that is extra."""
    domain = text.strip()
    for prefix in ("https://", "http://"):
        if domain.lower().startswith(prefix):
            domain = domain[len(prefix) :]
    return domain.rstrip("/")


def check(settings: Settings, typed: dict[str, object]) -> tuple[dict[str, object], dict[str, str]]:
    """The values as typed (webhook_port and ngrok_domain as text) -> (the values to save, field
    name -> a sentence saying what is wrong with it); the errors are empty when all is well."""
    values = dict(typed)
    errors: dict[str, str] = {}
    if "webhook_port" in values:
        port_text = str(values["webhook_port"] or "").strip()
        try:
            values["webhook_port"] = int(port_text) if port_text else None
        except ValueError:
            errors["webhook_port"] = PORT_ERROR
            values["webhook_port"] = settings.webhook_port
    if "ngrok_domain" in values:
        values["ngrok_domain"] = domain_only(str(values["ngrok_domain"]))
    candidate = dataclasses.replace(settings, **values)  # only to validate
    for key, sentence in candidate.validate().items():
        errors.setdefault(key, sentence)
    return values, errors


# An Account ID as the provider's Settings page shows it: letters, digits and - _ . @ only.
_ACCOUNT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]*")


def account_problems(account_id: str, token: bool | None, numbers: list[str]) -> dict[str, str]:
    """What stops an account from sending, by field, said before saving: an Account ID that
    cannot be one, and — once any of the three is given — the ones still missing. `token`:
    whether an API token will be there (None: not known yet, so not said)."""
    errors: dict[str, str] = {}
    if account_id and not _ACCOUNT_ID.fullmatch(account_id):
        errors["account_id"] = (
            f"“{account_id}” is not an Account ID: copy it from app.voipnumber.net/settings "
            "(letters and digits, no spaces)."
        )
    if not (account_id or token or numbers):
        return errors  # nothing of an account yet: other settings can still be saved
    if not account_id:
        errors["account_id"] = "Enter your Account ID: voipdesk needs it to send messages."
    if token is False:
        errors["api_token"] = "Paste your API token: voipdesk needs it to send messages."
    if not numbers:
        errors["numbers"] = "Add at least one of your VoIP Number numbers to send from."
    return errors


@dataclass(frozen=True)
class SaveResult:
    """What became of an edit."""

    error: str | None = None  # why nothing was saved (the values were put back), or None
    keyring_problem: str | None = None  # saved, but the keyring refused a secret: why
    changed: frozenset[str] = frozenset()  # the settings and secrets that changed (none on error)


class SettingsEdit:
    """Checked values (see check()) and secrets to write (None: remove it) for one Settings."""

    def __init__(
        self,
        settings: Settings,
        values: dict[str, object],
        secrets: dict[str, str | None] | None = None,
        *,
        regenerate_webhook_secret: bool = False,
    ) -> None:
        self.settings = settings
        self.values = dict(values)
        self.secrets = dict(secrets or {})
        self.changed = {
            key for key, value in self.values.items() if getattr(settings, key) != value
        }
        if regenerate_webhook_secret:
            self.values["webhook_secret"] = new_webhook_secret()
            self.changed.add("webhook_secret")
        self._before: dict[str, object] = {}

    def apply(self) -> None:
        """The changed values go into the live settings now, before they are written: a save
        the app makes meanwhile (a new public URL) then writes them too instead of the old
        ones. finish() undoes this if writing fails."""
        self._before = {key: getattr(self.settings, key) for key in self.changed}
        for key in self.changed:
            setattr(self.settings, key, self.values[key])

    def write(self) -> SaveResult:
        """Write the file, then (only once it is written) the secrets; never raises. Off the
        GUI thread: a keyring can take seconds, or wait for the user to unlock it."""
        settings = self.settings
        store = settings.secrets_store
        try:
            problem_before = store.problem if store is not None else None
            settings.save()
            for name, value in self.secrets.items():  # only once the file is written
                settings.set_secret(name, value)
            problem = store.problem if store is not None else None
        except OSError as exc:
            return SaveResult(error=f"Your settings could not be saved: {exc.strerror or exc}.")
        except Exception as exc:  # never leave the dialog stuck on "Saving…"
            return SaveResult(error=f"Your settings could not be saved: {exc}.")
        new_problem = problem if self.secrets and problem and problem != problem_before else None
        return SaveResult(
            keyring_problem=new_problem, changed=frozenset(self.changed | set(self.secrets))
        )

    def finish(self, result: SaveResult) -> SaveResult:
        """Where apply() ran, with write()'s result: if writing failed, put back the values
        apply() set, except those changed since by others (so nothing changed in the running
        app). Returns the result."""
        if result.error is not None:
            for key in self.changed:
                if getattr(self.settings, key) == self.values[key]:  # not changed since
                    setattr(self.settings, key, self._before[key])
        return result

    def save(self) -> SaveResult:
        """apply(), write() and finish() in one go, on this thread."""
        self.apply()
        return self.finish(self.write())
