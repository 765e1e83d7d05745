"""The tests' private PostgreSQL server: it runs, and each test gets a database of its own."""

from __future__ import annotations

import psycopg


def test_each_test_gets_an_empty_database_of_its_own(pg_url, pg_cluster):
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE mine (x int)")
        conn.execute("INSERT INTO mine VALUES (1)")
    other = pg_cluster.new_database()
    try:
        with psycopg.connect(other) as conn:
            tables = conn.execute(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
            ).fetchone()
        assert tables == (0,)
    finally:
        pg_cluster.drop_database(other)


def test_the_server_listens_on_its_socket_only(pg_url):
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SHOW listen_addresses").fetchone() == ("",)
        assert conn.execute("SHOW server_version_num").fetchone()[0] >= "150000"
