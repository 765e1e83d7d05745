"""Opening a store from a location (store.location), and the store's own error types."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from voipdesk.store import (
    SCHEMA_VERSION,
    SchemaTooNewError,
    Store,
    StoreError,
    StoreOpener,
    StoreTooNew,
    StoreUnavailable,
    damage,
    database_path,
    open_store,
)

from .conftest import inbound


def test_a_data_folder_opens_the_database_file_in_it(tmp_path):
    with open_store(tmp_path) as store:
        store.add_inbound(inbound("kept"))
    with Store(database_path(tmp_path)) as store:
        assert [m.body for m in store.all_messages()] == ["kept"]


def test_an_unknown_kind_of_database_is_refused_without_the_password(tmp_path):
    for url in ("mysql://bob:s3cret@db.example:3306/voip", "sqlite://bob:s3cret@x/voip"):
        with pytest.raises(StoreUnavailable) as caught:
            open_store(url)
        text = str(caught.value)
        assert "does not know the kind of database" in text and "s3cret" not in text
        assert "s3cret" not in str(caught.value.path)
        assert isinstance(caught.value, StoreError)


def test_an_opener_opens_a_store_of_its_own_on_the_calling_thread(tmp_path):
    opener = StoreOpener(tmp_path)
    assert str(opener) == str(database_path(tmp_path))
    opened: list[Store] = []
    worker = threading.Thread(target=lambda: opened.append(opener()))
    worker.start()
    worker.join()
    with opener() as here, opened[0] as there:
        assert here is not there
        here.add_inbound(inbound("seen by both"))
        assert [m.body for m in there.all_messages()] == ["seen by both"]


def test_a_newer_schema_is_a_store_error_and_still_a_schema_too_new_error(tmp_path):
    path = database_path(tmp_path)
    Store(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    for read_only in (False, True):
        with pytest.raises(StoreTooNew, match="newer voipdesk") as caught:
            open_store(tmp_path, read_only=read_only)
        assert isinstance(caught.value, SchemaTooNewError)
        assert isinstance(caught.value, StoreError)


def _error(code: int, text: str) -> sqlite3.OperationalError:
    exc = sqlite3.OperationalError(text)
    exc.sqlite_errorcode = code  # type: ignore[attr-defined]
    return exc


def test_a_locked_or_failing_store_is_unavailable_but_a_bad_statement_is_left_as_it_is(tmp_path):
    path = database_path(tmp_path)
    for code, text in ((5, "database is locked"), (10, "disk I/O error"), (13, "full")):
        error = damage.translate(path, _error(code, text), None)
        assert isinstance(error, StoreUnavailable) and error.reason == text
    syntax = _error(1, 'near "THIS": syntax error')
    assert damage.translate(path, syntax, None) is syntax
