"""The headless commands as a new user runs them: real subprocesses against the sandbox."""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from provider.conftest import ScriptedProvider
from store import damaged

from voipdesk import __version__
from voipdesk.core.models import InboundMessage, Status
from voipdesk.export import local_time
from voipdesk.provider.errors import ProviderError
from voipdesk.sandbox import DEMO_ACCOUNT, Account, Sandbox, SandboxThread
from voipdesk.store import Store, database_path

OWN = "+447700900001"
OTHER = Account("other-account", "other-token", {"+447700900009"})
EXPORT_FIELDS = {
    "direction",
    "own_number",
    "peer_number",
    "body",
    "type",
    "status",
    "provider_id",
    "timestamp",
}
TRICKY = "He said, \"hi\"\nsecond line, <b>x</b><script>alert(1)</script> 'q' ;\r\n€ 😀"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxThread]:
    with SandboxThread(Sandbox((DEMO_ACCOUNT, OTHER))) as running:
        yield running


@pytest.fixture(autouse=True)
def _clean_sandbox(sandbox):
    """Each test sees only its own requests (cleared on the sandbox's thread)."""
    sandbox.call(sandbox.sandbox.sent.clear)
    sandbox.call(sandbox.sandbox.requests.clear)


def voipdesk(
    data_dir: Path,
    *args: str,
    url: str | None = None,
    account: str | None = DEMO_ACCOUNT.account_id,
    token: str | None = DEMO_ACCOUNT.api_token,
    stdin: str | None = None,
    extra_env: dict[str, str] | None = None,
    use_env_dir: bool = True,
) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOIPDESK_")}
    if use_env_dir:
        env["VOIPDESK_DATA_DIR"] = str(data_dir)
    if url is not None:
        env["VOIPDESK_API_URL"] = url
    if account is not None:
        env["VOIPDESK_ACCOUNT_ID"] = account
    if token is not None:
        env["VOIPDESK_API_TOKEN"] = token
    env.update(extra_env or {})
    # Bytes, decoded here: text mode would turn a CSV field's "\r\n" into "\n" on the way in.
    result = subprocess.run(
        [sys.executable, "-m", "voipdesk", *args],
        env=env,
        input=stdin.encode() if stdin is not None else None,
        capture_output=True,
        timeout=60,
    )
    return subprocess.CompletedProcess(
        result.args,
        result.returncode,
        result.stdout.decode("utf-8"),
        result.stderr.decode("utf-8", "replace"),
    )


def send(data_dir: Path, url: str, *args: str, **kw) -> subprocess.CompletedProcess:
    return voipdesk(data_dir, "send", *args, url=url, **kw)


def stored(data_dir: Path) -> list:
    path = database_path(data_dir)
    if not path.exists():
        return []
    with Store(path) as s:
        return list(s.all_messages())


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/v1/sms/send"


# -- send -----------------------------------------------------------------------------------------
def test_send_prints_the_provider_id(sandbox, tmp_path):
    result = send(tmp_path, sandbox.send_url, "--from", OWN, "--to", "+447700900100", "Hi", "there")
    assert result.returncode == 0, result.stderr
    [sent] = sandbox.sandbox.sent
    assert result.stdout == sent.id + "\n"
    assert (sent.sender, sent.to, sent.body) == (OWN, "+447700900100", "Hi there")
    [msg] = stored(tmp_path)
    assert (msg.status, msg.provider_id) == (Status.QUEUED, sent.id)


def test_national_numbers_are_normalised(sandbox, tmp_path):
    result = send(tmp_path, sandbox.send_url, "--from", "07700 900001", "--to", "07700 900100", "x")
    assert result.returncode == 0, result.stderr
    [sent] = sandbox.sandbox.sent
    assert (sent.sender, sent.to) == (OWN, "+447700900100")


def test_national_numbers_of_another_default_country(sandbox, tmp_path):
    result = send(
        tmp_path,
        sandbox.send_url,
        "--from",
        OWN,
        "--to",
        "(202) 555-0123",
        "hello US",
        extra_env={"VOIPDESK_COUNTRY": "US"},
    )
    assert result.returncode == 0, result.stderr
    assert sandbox.sandbox.sent[0].to == "+12025550123"


def test_text_from_stdin(sandbox, tmp_path):
    result = send(
        tmp_path,
        sandbox.send_url,
        "--from",
        OWN,
        "--to",
        "07700900100",
        "-",
        stdin="line one\nline two\n",
    )
    assert result.returncode == 0, result.stderr
    assert sandbox.sandbox.sent[0].body == "line one\nline two"


def test_the_data_dir_option(sandbox, tmp_path):
    result = send(
        tmp_path,
        sandbox.send_url,
        "--data-dir",
        str(tmp_path / "profile"),
        "--from",
        OWN,
        "--to",
        "07700900100",
        "x",
        use_env_dir=False,
    )
    assert result.returncode == 0, result.stderr
    assert len(stored(tmp_path / "profile")) == 1


def test_the_default_sender_comes_from_settings(sandbox, tmp_path):
    (tmp_path / "settings.json").write_text(json.dumps({"numbers": ["+447700900002"]}))
    result = send(tmp_path, sandbox.send_url, "--to", "07700900100", "x")
    assert result.returncode == 0, result.stderr
    assert sandbox.sandbox.sent[0].sender == "+447700900002"


@pytest.mark.parametrize(
    ("code", "args", "env"),
    [
        ("USER_NOT_FOUND", ("--from", OWN), {"account": "nobody"}),
        ("API_TOKEN_INVALID", ("--from", OWN), {"token": "regenerated-since"}),
        ("NUMBER_NOT_FOUND", ("--from", "+447700900999"), {}),
        ("NUMBER_OWNERSHIP", ("--from", "+447700900009"), {}),
    ],
)
def test_provider_errors_exit_2_with_code_and_sentence(sandbox, tmp_path, code, args, env):
    result = send(tmp_path, sandbox.send_url, *args, "--to", "07700900100", "hello", **env)
    assert result.returncode == 2
    assert result.stdout == ""
    sentence = ProviderError(code, "", sender=args[1]).sentence
    assert f"{code}: {sentence}" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(sandbox.sandbox.requests) == 1  # asked once, not retried
    [msg] = stored(tmp_path)
    assert (msg.status, msg.error_code) == (Status.FAILED, code)


@pytest.mark.parametrize(
    ("code", "text", "expect"),
    [
        ("MESSAGE_INVALID", "Coding syntax error", "Edit it and send it again."),
        ("PLAN_EXPIRED", "Your plan has expired", "Your plan has expired"),
    ],
)
def test_errors_the_sandbox_cannot_cause_from_the_cli(tmp_path, code, text, expect):
    server = ScriptedProvider()  # one answer: a provider error is never asked twice
    server.answer({"status": "Error", "result": {"error_code": code, "error": text}})
    server.thread.start()
    try:
        result = send(tmp_path, server.url, "--from", OWN, "--to", "07700900100", "hello")
    finally:
        server.close()
    assert result.returncode == 2
    assert result.stderr.startswith(f"{code}: ") and expect in result.stderr


@pytest.mark.parametrize(
    ("account", "token", "code"),
    [
        (None, DEMO_ACCOUNT.api_token, "USER_ACCOUNT_MISSING"),
        ("", DEMO_ACCOUNT.api_token, "USER_ACCOUNT_MISSING"),
        (DEMO_ACCOUNT.account_id, None, "API_TOKEN_MISSING"),
    ],
)
def test_a_missing_credential_exits_2_before_sending(sandbox, tmp_path, account, token, code):
    result = send(
        tmp_path,
        sandbox.send_url,
        "--from",
        OWN,
        "--to",
        "07700900100",
        "x",
        account=account,
        token=token,
        extra_env={"HOME": str(tmp_path)},
    )
    assert result.returncode == 2
    assert code in result.stderr
    assert ProviderError(code, "").sentence in result.stderr
    assert "VOIPDESK_" in result.stderr  # says how to supply it headless
    assert sandbox.sandbox.requests == []
    assert stored(tmp_path) == []


@pytest.mark.parametrize("to", ["hello", "123", "+44", "0770"])
def test_an_invalid_number_exits_2_and_stores_nothing(sandbox, tmp_path, to):
    result = send(tmp_path, sandbox.send_url, "--from", OWN, "--to", to, "x")
    assert result.returncode == 2
    assert "--to:" in result.stderr and to in result.stderr
    assert "Nothing was sent." in result.stderr
    assert "Traceback" not in result.stderr
    assert sandbox.sandbox.requests == []
    assert stored(tmp_path) == []


def test_an_invalid_from_number_exits_2(sandbox, tmp_path):
    result = send(tmp_path, sandbox.send_url, "--from", "nope", "--to", "07700900100", "x")
    assert result.returncode == 2 and "--from:" in result.stderr
    assert stored(tmp_path) == []


def test_no_from_number_anywhere_exits_2(sandbox, tmp_path):
    result = send(tmp_path, sandbox.send_url, "--to", "07700900100", "x")
    assert result.returncode == 2 and "--from" in result.stderr
    assert stored(tmp_path) == []


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_empty_text_exits_2(sandbox, tmp_path, text):
    result = send(tmp_path, sandbox.send_url, "--from", OWN, "--to", "07700900100", text)
    assert result.returncode == 2
    assert "empty" in result.stderr
    assert sandbox.sandbox.requests == []
    assert stored(tmp_path) == []


def test_unreachable_exits_75_and_keeps_the_message_pending(tmp_path):
    result = send(tmp_path, closed_port_url(), "--from", OWN, "--to", "07700900100", "later")
    assert result.returncode == 75
    assert result.stdout == ""
    assert "could not be reached" in result.stderr and "outbox" in result.stderr
    assert "do not send it again" in result.stderr  # the app sends it: a second one would double
    exported = voipdesk(tmp_path, "export")
    [row] = json.loads(exported.stdout)
    assert (row["status"], row["body"], row["provider_id"]) == ("pending", "later", None)
    [msg] = stored(tmp_path)
    assert msg.attempts == 3  # the CLI's quick retries, then it gives up for now


def test_a_server_error_then_success_within_the_quick_retries(sandbox, tmp_path):
    sandbox.inject("http503")
    result = send(tmp_path, sandbox.send_url, "--from", OWN, "--to", "07700900100", "retry me")
    assert result.returncode == 0, result.stderr
    assert len(sandbox.sandbox.sent) == 1
    assert len(sandbox.sandbox.requests) == 2


@pytest.mark.parametrize("kind", ["garbage", "wrongshape"])
def test_an_unreadable_200_is_sent_once_and_exits_0_without_an_id(sandbox, tmp_path, kind):
    sandbox.inject(kind)  # a quick retry would get the usual answer: taken a second time
    result = send(tmp_path, sandbox.send_url, "--from", OWN, "--to", "07700900100", "just once")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""  # no id to read: a script gets an empty string, not a sentence
    [msg] = stored(tmp_path)
    assert result.stderr == (
        f"voipdesk: VoIP Number accepted message {msg.id} but gave no message id, so none is "
        "printed. It is stored as sent: do not send it again.\n"
    )
    assert (msg.status, msg.provider_id, msg.attempts) == (Status.QUEUED, None, 1)
    assert len(sandbox.sandbox.requests) == 1  # what the provider received: one request
    assert [s.body for s in sandbox.sandbox.sent] == ["just once"]


def test_a_short_retry_after_is_waited_then_sent(sandbox, tmp_path):
    sandbox.inject("http429", retry_after="2")
    result = send(tmp_path, sandbox.send_url, "--from", OWN, "--to", "07700900100", "patient")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == sandbox.sandbox.sent[0].id
    first, second = (r["time"] for r in sandbox.sandbox.requests)
    assert 2.0 <= second - first < 4.0  # as the provider saw it: not the quick 0.5 s retry


@pytest.mark.parametrize(("header", "words"), [("30", "30 seconds"), ("1800", "30 minutes")])
def test_a_long_retry_after_exits_75_with_the_wait(sandbox, tmp_path, header, words):
    sandbox.inject("http429", retry_after=header)
    result = send(tmp_path, sandbox.send_url, "--from", OWN, "--to", "07700900100", "later")
    assert result.returncode == 75
    assert result.stdout == ""
    [msg] = stored(tmp_path)
    assert result.stderr.startswith(
        f"voipdesk: VoIP Number asked voipdesk to wait {words} before sending again. The "
        f"message is kept in the outbox (message {msg.id})"
    )
    assert "do not send it again" in result.stderr and "Traceback" not in result.stderr
    [request] = sandbox.sandbox.requests  # no quick retry into a rate limit
    assert msg.status is Status.PENDING
    # The app's outbox sends it no sooner than the provider asked (its clock read the answer).
    assert 0 <= msg.next_attempt_at - (request["time"] + int(header)) < 1.0


@pytest.mark.parametrize("kind", ["accept_then_drop", "drop"])
def test_no_answer_exits_3_not_75_and_is_not_retried(sandbox, tmp_path, kind):
    # 75 (EX_TEMPFAIL) invites a script to try again later; this message may already be out.
    sandbox.inject(kind)
    result = send(tmp_path, sandbox.send_url, "--from", OWN, "--to", "07700900100", "once")
    assert result.returncode == 3
    assert result.stdout == ""
    [msg] = stored(tmp_path)
    assert msg.status is Status.UNKNOWN
    assert result.stderr.startswith("voipdesk: No answer came from VoIP Number (")
    assert f"message {msg.id} may or may not have been sent" in result.stderr
    assert "not retried automatically" in result.stderr
    assert "app.voipnumber.net/messaging" in result.stderr and "recipient" in result.stderr
    assert "`voipdesk send` again only if it did not arrive" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(sandbox.sandbox.requests) == 1  # never resent by the quick retries


def test_a_4xx_that_is_not_json_exits_2_at_once(sandbox, tmp_path):
    sandbox.inject("http404")  # for one request: a retry would get through
    result = send(tmp_path, sandbox.send_url, "--from", OWN, "--to", "07700900100", "x")
    assert result.returncode == 2
    assert result.stderr.startswith("HTTP_404: The provider rejected the request (HTTP 404)")
    assert len(sandbox.sandbox.requests) == 1  # not retried: it would only get 404 again
    [msg] = stored(tmp_path)
    assert (msg.status, msg.error_code) == (Status.FAILED, "HTTP_404")


def test_send_help_lists_the_exit_statuses(tmp_path):
    result = voipdesk(tmp_path, "send", "--help")
    assert result.returncode == 0
    for code in ("0 ", "2 ", "75 ", "3 ", "1 "):
        assert f"\n  {code}" in result.stdout


# -- settings.json written by hand ---------------------------------------------------------------
def test_a_settings_value_of_the_wrong_type_is_a_warning_not_a_crash(sandbox, tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(
        json.dumps({"numbers": ["+447700900002"], "webhook_port": "abc", "notifications": "no"})
    )
    result = send(tmp_path, sandbox.send_url, "--to", "07700900100", "x")
    assert result.returncode == 0, result.stderr
    assert sandbox.sandbox.sent[0].sender == "+447700900002"  # the good value is used
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 2
    for key in ("webhook_port", "notifications"):
        [line] = [w for w in warnings if f"“{key}”" in w]
        assert line.startswith("voipdesk: warning: Ignored") and str(path) in line
    assert "Traceback" not in result.stderr
    # What the user typed is not lost: the file was kept aside before the secret was saved.
    [aside] = tmp_path.glob("settings.json.bad-*")
    assert json.loads(aside.read_text())["webhook_port"] == "abc"


def test_a_corrupt_settings_json_is_moved_aside_and_said(sandbox, tmp_path):
    (tmp_path / "settings.json").write_text('{"numbers": ["+447700900002"],,}')
    result = send(tmp_path, sandbox.send_url, "--from", OWN, "--to", "07700900100", "x")
    assert result.returncode == 0, result.stderr
    [aside] = tmp_path.glob("settings.json.bad-*")
    assert aside.read_text() == '{"numbers": ["+447700900002"],,}'
    assert "voipdesk: warning:" in result.stderr and aside.name in result.stderr
    assert "not valid JSON" in result.stderr


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_everything_in_a_new_data_dir_is_user_only(sandbox, tmp_path):
    data_dir = tmp_path / "profile"
    old = os.umask(0o022)  # the child inherits a umask that would make files 0644
    try:
        result = send(data_dir, sandbox.send_url, "--from", OWN, "--to", "07700900100", "x")
    finally:
        os.umask(old)
    assert result.returncode == 0, result.stderr
    modes = {str(p.relative_to(data_dir)): p.stat().st_mode & 0o777 for p in data_dir.rglob("*")}
    assert {"settings.json", "voipdesk.sqlite3", "logs", "logs/voipdesk.log"} <= set(modes)
    assert modes == {name: 0o700 if (data_dir / name).is_dir() else 0o600 for name in modes}, modes
    assert data_dir.stat().st_mode & 0o777 == 0o700


def test_version(tmp_path):
    result = voipdesk(tmp_path, "--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"voipdesk {__version__}"


def test_help_and_mistakes_name_the_commands(tmp_path):
    # The app's own options are parsed without the commands' parsers (cli._parse); help and
    # every mistake still come from the whole parser, commands and all.
    shown = voipdesk(tmp_path, "--help")
    assert shown.returncode == 0
    assert all(name in shown.stdout for name in ("send", "export", "listen", "repair"))
    wrong = voipdesk(tmp_path, "--demo", "sned")
    assert wrong.returncode == 2
    assert "invalid choice: 'sned'" in wrong.stderr and "'send'" in wrong.stderr
    unknown = voipdesk(tmp_path, "--no-such-option")
    assert unknown.returncode == 2 and "unrecognized arguments: --no-such-option" in unknown.stderr
    assert "COMMAND" in unknown.stderr  # the whole parser's usage line


# -- export ---------------------------------------------------------------------------------------
@pytest.fixture
def history(sandbox, tmp_path) -> Path:
    """A data dir with an outgoing message (sent by the CLI) and two inbound ones."""
    result = send(tmp_path, sandbox.send_url, "--from", OWN, "--to", "07700900100", TRICKY)
    assert result.returncode == 0, result.stderr
    with Store(database_path(tmp_path)) as s:
        s.add_inbound(
            InboundMessage(
                "+447700900100", OWN, "reply, with a comma", "sms", "mdr-1", 1716204585, "{}"
            )
        )
        s.add_inbound(
            InboundMessage(
                "+447700900200",
                OWN,
                '=HYPERLINK("x")',
                "mms",
                "mdr-2",
                1716204999,
                "{}",
                ("https://cdn.example/a.jpg",),
            )
        )
    return tmp_path


def test_export_json(history, sandbox):
    result = voipdesk(history, "export", "--format", "json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert isinstance(rows, list) and len(rows) == 3
    for row in rows:
        assert set(row) >= EXPORT_FIELDS
        assert isinstance(row["timestamp"], int)
    out, in1, in2 = rows
    assert (out["direction"], out["own_number"], out["peer_number"]) == (
        "out",
        OWN,
        "+447700900100",
    )
    assert (out["body"], out["type"], out["status"]) == (TRICKY, "sms", "queued")
    assert out["provider_id"] == sandbox.sandbox.sent[0].id
    assert (in1["direction"], in1["status"], in1["provider_id"], in1["timestamp"]) == (
        "in",
        "received",
        "mdr-1",
        1716204585,
    )
    assert (in2["type"], in2["attachments"]) == ("mms", ["https://cdn.example/a.jpg"])
    assert "Exported 3 messages" in result.stderr


def test_export_csv_round_trips_tricky_bodies(history):
    result = voipdesk(history, "export", "--format", "csv")
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout, newline="")))
    header, *data = rows
    assert set(header) >= EXPORT_FIELDS
    assert len(data) == 3 and all(len(r) == len(header) for r in data)
    records = [dict(zip(header, r, strict=True)) for r in data]
    assert records[0]["body"] == TRICKY  # commas, quotes, newlines and markup, literally
    assert records[1]["body"] == "reply, with a comma"
    assert records[2]["body"] == '\'=HYPERLINK("x")'  # safe for a spreadsheet by default
    assert [r["direction"] for r in records] == ["out", "in", "in"]
    assert records[1]["timestamp"] == local_time(1716204585)  # e.g. 2024-05-20T12:29:45+01:00
    assert records[1]["peer_number"] == "+447700900100"  # numbers are not formulas


FORMULAS = ["=1+1", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx", "\r=x", "=", "+"]
HARMLESS = ["a=1", " =1", "'=1", "hello", "", "€ 😀", "lone\rcarriage return"]


@pytest.fixture
def formulas(tmp_path) -> Path:
    """Inbound bodies, a sender and an mdr_id that a spreadsheet would run as formulas."""
    with Store(database_path(tmp_path)) as s:
        for i, body in enumerate(FORMULAS + HARMLESS):
            s.add_inbound(InboundMessage("+447700900100", OWN, body, "sms", f"mdr-{i}", 1, "{}"))
        s.add_inbound(InboundMessage("=cmd|x", OWN, "from", "sms", "-1+HYPERLINK()", 2, "{}"))
    return tmp_path


def csv_records(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_csv_is_safe_for_spreadsheets_by_default(formulas):
    result = voipdesk(formulas, "export", "--format", "csv")
    assert result.returncode == 0, result.stderr
    records = csv_records(result.stdout)
    bodies = [r["body"] for r in records[: len(FORMULAS) + len(HARMLESS)]]
    assert bodies == ["'" + f for f in FORMULAS] + HARMLESS
    last = records[-1]
    assert (last["peer_number"], last["provider_id"]) == ("'=cmd|x", "'-1+HYPERLINK()")
    assert {r["own_number"] for r in records} == {OWN}


def test_csv_raw_is_literal(formulas):
    out = formulas / "raw.csv"
    result = voipdesk(formulas, "export", "--format", "csv", "--raw", "--out", str(out))
    assert result.returncode == 0, result.stderr
    with open(out, newline="", encoding="utf-8") as fh:
        records = list(csv.DictReader(fh))
    assert [r["body"] for r in records[:-1]] == FORMULAS + HARMLESS
    assert (records[-1]["peer_number"], records[-1]["provider_id"]) == ("=cmd|x", "-1+HYPERLINK()")


@pytest.mark.parametrize("raw", [[], ["--raw"]])
def test_json_is_always_literal(formulas, raw):
    result = voipdesk(formulas, "export", "--format", "json", *raw)
    rows = json.loads(result.stdout)
    assert [r["body"] for r in rows[:-1]] == FORMULAS + HARMLESS
    assert rows[-1]["peer_number"] == "=cmd|x"


def test_export_help_says_what_csv_does(tmp_path):
    result = voipdesk(tmp_path, "export", "--help")
    text = " ".join(result.stdout.split())
    assert "safe to open in a spreadsheet" in text and "--raw" in text


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_export_to_a_file_keeps_stdout_clean(history, fmt):
    out = history / f"all.{fmt}"
    result = voipdesk(history, "export", "--format", fmt, "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "Exported 3 messages" in result.stderr and str(out) in result.stderr
    text = out.read_text("utf-8")
    if fmt == "json":
        assert json.loads(text)[0]["body"] == TRICKY
    else:
        with open(out, newline="", encoding="utf-8") as fh:
            assert next(csv.DictReader(fh))["body"] == TRICKY
    assert not list(history.glob("*.part"))


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_export_is_utf8_whatever_the_console_encoding(history, fmt):
    # A console or pipe in another encoding (cp1252 on Windows) must not break the export.
    result = voipdesk(history, "export", "--format", fmt, extra_env={"PYTHONIOENCODING": "latin-1"})
    assert result.returncode == 0, result.stderr
    if fmt == "json":
        body = json.loads(result.stdout)[0]["body"]
    else:
        body = next(csv.DictReader(io.StringIO(result.stdout, newline="")))["body"]
    assert body == TRICKY


def test_export_of_an_empty_store_is_an_empty_array(tmp_path):
    result = voipdesk(tmp_path, "export")
    assert result.returncode == 0
    assert json.loads(result.stdout) == []
    assert "Exported 0 messages" in result.stderr


def test_export_to_an_unwritable_place_is_a_sentence(tmp_path):
    result = voipdesk(tmp_path, "export", "--out", str(tmp_path / "no" / "such" / "dir.json"))
    assert result.returncode == 1
    assert result.stderr.startswith("voipdesk: could not write")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", ["export", "send"])
def test_a_damaged_database_is_a_sentence_not_a_traceback(sandbox, tmp_path, command):
    database_path(tmp_path).write_bytes(b"this is not an SQLite file at all" * 100)
    args = ["--from", OWN, "--to", "07700900100", "x"] if command == "send" else []
    result = voipdesk(tmp_path, command, *args, url=sandbox.send_url)
    assert result.returncode == 1
    assert result.stderr.startswith(f"voipdesk: The message database {database_path(tmp_path)}")
    [kept] = tmp_path.glob("damaged-*")
    assert "is damaged" in result.stderr and str(kept) in result.stderr
    assert "voipdesk repair" in result.stderr
    assert "Traceback" not in result.stderr
    assert sandbox.sandbox.requests == []  # nothing is sent unless it can be stored first


def test_repair_moves_the_readable_messages_into_a_new_database(tmp_path):
    damaged.make(tmp_path)
    failed = voipdesk(tmp_path, "export")
    assert failed.returncode == 1 and "is damaged" in failed.stderr
    result = voipdesk(tmp_path, "repair")
    assert result.returncode == 0, result.stderr
    [kept] = tmp_path.glob("damaged-*")  # the one export kept: not a second copy
    assert "messages were moved into a new database" in result.stderr
    assert str(kept) in result.stderr and "Traceback" not in result.stderr
    exported = voipdesk(tmp_path, "export")
    assert exported.returncode == 0
    count = len(json.loads(exported.stdout))
    assert 0.9 * damaged.MESSAGES < count < damaged.MESSAGES
    assert f"{count} messages were moved" in result.stderr


def test_repair_leaves_a_whole_database_alone(tmp_path):
    with Store(database_path(tmp_path)) as store:
        store.add_inbound(InboundMessage("+447700900100", OWN, "hi", "sms", "m-1", 1, "{}"))
    before = database_path(tmp_path).read_bytes()
    result = voipdesk(tmp_path, "repair")
    assert result.returncode == 0
    assert "not damaged: nothing to repair" in result.stderr
    assert database_path(tmp_path).read_bytes() == before
    assert not list(tmp_path.glob("damaged-*"))


def test_the_token_is_in_no_log_and_no_output(sandbox, tmp_path):
    token = DEMO_ACCOUNT.api_token
    ok = voipdesk(
        tmp_path, "-v", "send", "--from", OWN, "--to", "07700900100", "x", url=sandbox.send_url
    )
    bad = voipdesk(
        tmp_path,
        "-v",
        "send",
        "--from",
        OWN,
        "--to",
        "07700900100",
        "x",
        url=sandbox.send_url,
        token="tok-WRONG-but-secret",
    )
    assert (ok.returncode, bad.returncode) == (0, 2)
    logs = (tmp_path / "logs" / "voipdesk.log").read_text("utf-8")
    assert "send" in logs.lower()  # the log did record the traffic
    for text in (ok.stdout, ok.stderr, bad.stdout, bad.stderr, logs):
        assert token not in text and "tok-WRONG-but-secret" not in text
    settings = (tmp_path / "settings.json").read_text("utf-8")
    assert token not in settings and "tok-WRONG" not in settings
