"""Fixtures every test module may use."""

pytest_plugins = ("tests.postgres_db",)  # pg_url, backend_url: a fresh PostgreSQL database per test
