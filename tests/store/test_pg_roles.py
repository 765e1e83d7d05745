"""README's "Keeping the shared database safe": `serve`'s role owns the database and creates
its tables; a desk's own role, given only the grants README lists, can open the shared store,
send and read, but not change the tables."""

from __future__ import annotations

import itertools

import psycopg
import pytest

from tests.pg_support import schema_name
from voipdesk.core.models import Status
from voipdesk.store import StoreUnavailable, open_store

from .conftest import OWN, PEER, inbound

_roles = itertools.count(1)


@pytest.fixture
def desk_url(pg_url):
    """pg_url's schema, set up by its owner (the tests' superuser, as serve would), and a URL
    for a new role with README's grants on it."""
    with open_store(pg_url) as owner:  # creates the tables, as the first serve does
        owner.add_inbound(inbound("stored by the server"))
    schema = schema_name(pg_url)
    role = f"desk_{schema}_{next(_roles)}"
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {role} LOGIN")
        admin.execute(f"GRANT USAGE ON SCHEMA {schema} TO {role}")
        admin.execute(
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}"
        )
        admin.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {schema} TO {role}")
    user = pg_url.split("://", 1)[1].split("@", 1)[0]
    yield pg_url.replace(f"://{user}@", f"://{role}@", 1), role
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute(f"DROP OWNED BY {role}")
        admin.execute(f"DROP ROLE {role}")


def test_a_desk_with_its_own_role_uses_the_shared_store(desk_url):
    url, _role = desk_url
    with open_store(url) as desk:
        assert [m.body for m in desk.all_messages()] == ["stored by the server"]
        sent = desk.add_outgoing(OWN, PEER, "from Ana's desk", sent_by="Ana")
        desk.update_outgoing(sent.id, status=Status.QUEUED, provider_id="p-1")
        assert desk.claim(sent.id, (Status.QUEUED,)) is not None  # owns its send attempts
        desk.mark_read(sent.conversation_id)
        desk.set_contact(PEER, "Sam")
        assert desk.last_change() > 0
        with desk.listen() as listener:
            listener.wait(0.01)


def test_a_desks_role_cannot_change_the_tables(desk_url):
    url, _role = desk_url
    with psycopg.connect(url, autocommit=True) as conn, pytest.raises(psycopg.Error):
        conn.execute("DROP TABLE messages")


def test_a_desk_role_without_grants_is_told_in_a_sentence(pg_url):
    with open_store(pg_url):
        pass
    role = f"nogrant_{schema_name(pg_url)}"
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {role} LOGIN")
    user = pg_url.split("://", 1)[1].split("@", 1)[0]
    try:
        stranger = pg_url.replace(f"://{user}@", f"://{role}@", 1)
        with pytest.raises(StoreUnavailable) as raised, open_store(stranger) as store:
            store.conversations()
        assert "may use" in str(raised.value) and "grant this role" in str(raised.value)
    finally:
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute(f"DROP ROLE {role}")
