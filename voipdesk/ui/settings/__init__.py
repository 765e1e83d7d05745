"""The settings dialog (dialog.py) and its parts: the four pages (pages.py) built row by row
(form.py), the numbers editor (numbers.py) and the secret fields (secret_field.py). What is
checked, saved and rolled back on OK is in voipdesk.settings.edit, without Qt."""

from voipdesk.ui.settings.dialog import DEMO_NOTICE, SECTIONS, SettingsDialog
from voipdesk.ui.settings.numbers import NumbersEditor
from voipdesk.ui.settings.pages import country_names
from voipdesk.ui.settings.secret_field import SecretField

__all__ = [
    "DEMO_NOTICE",
    "SECTIONS",
    "NumbersEditor",
    "SecretField",
    "SettingsDialog",
    "country_names",
]
