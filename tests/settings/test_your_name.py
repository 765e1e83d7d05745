"""The name a desk on the shared inbox writes on what it sends ("Sent by …")."""

from __future__ import annotations

from voipdesk.settings import Settings
from voipdesk.settings.model import computer_user_name


def test_your_name_is_kept_and_falls_back_to_the_computers_name_for_you(tmp_path):
    settings = Settings.load(tmp_path)
    assert settings.effective_your_name == computer_user_name() != ""
    settings.your_name = "  Ana Lopez "
    settings.save()
    again = Settings.load(tmp_path)
    assert again.effective_your_name == "Ana Lopez"
    assert not again.problems
