"""Settings: a JSON file in the data dir for plain values, the OS keyring for secrets. No Qt here.

model.py is the Settings object (load, save, the environment's overrides, validation);
fields.py checks each value read from settings.json; secrets.py keeps the secrets in the keyring;
edit.py is one edit from the settings dialog (apply, save, roll back on failure)."""

from voipdesk.settings.fields import port_allowed
from voipdesk.settings.model import Settings, new_webhook_secret, resolve_data_dir
from voipdesk.settings.secrets import KEYRING_SERVICE, SECRET_NAMES, SecretsRead, SecretStore

__all__ = [
    "KEYRING_SERVICE",
    "SECRET_NAMES",
    "SecretStore",
    "SecretsRead",
    "Settings",
    "new_webhook_secret",
    "port_allowed",
    "resolve_data_dir",
]
