"""The tests' private PostgreSQL server: it runs, and each test gets a place of its own."""

from __future__ import annotations

import psycopg


def test_each_test_gets_an_empty_schema_of_its_own(pg_url, pg_cluster):
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE mine (x int)")
        conn.execute("INSERT INTO mine VALUES (1)")
    for other, drop in (
        (pg_cluster.new_schema(), pg_cluster.drop_schema),
        (pg_cluster.new_database(), pg_cluster.drop_database),
    ):
        try:
            with psycopg.connect(other) as conn:
                assert conn.execute("SELECT to_regclass('mine')").fetchone() == (None,)
        finally:
            drop(other)
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT x FROM mine").fetchall() == [(1,)]


def test_the_server_listens_on_its_socket_only(pg_url):
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SHOW listen_addresses").fetchone() == ("",)
        assert int(conn.execute("SHOW server_version_num").fetchone()[0]) >= 150000
