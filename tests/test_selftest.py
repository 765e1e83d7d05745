"""`voipdesk --self-test` checks the install, whatever the user's environment says."""

import os
import socket
import subprocess
import sys

import pytest


def _self_test(env_overrides: dict[str, str]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOIPDESK_")}
    env.update(QT_QPA_PLATFORM="offscreen", **env_overrides)
    return subprocess.run(
        [sys.executable, "-m", "voipdesk", "--self-test"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_self_test_passes_on_a_clean_environment():
    run = _self_test({})
    assert run.returncode == 0, run.stdout + run.stderr
    assert "all steps passed" in run.stdout
    # The shared inbox's backend loads with psycopg's compiled driver (what a bundle misses first).
    assert "self-test: shared inbox driver: ok (psycopg 3." in run.stdout


@pytest.mark.slow
def test_self_test_ignores_the_users_settings_in_the_environment():
    """An unreachable API URL, other credentials, a busy webhook port and a tunnel asked for:
    none of them is the install's fault, so none of them may fail the self-test."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        run = _self_test(
            {
                "VOIPDESK_API_URL": "http://127.0.0.1:9/v1/sms/send",
                "VOIPDESK_ACCOUNT_ID": "someone-else",
                "VOIPDESK_API_TOKEN": "not-the-demo-token",
                "VOIPDESK_WEBHOOK_PORT": str(busy.getsockname()[1]),
                "VOIPDESK_TUNNEL": "ngrok",
                "VOIPDESK_COUNTRY": "US",
            }
        )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "all steps passed" in run.stdout
