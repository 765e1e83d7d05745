"""The sandbox provider the services' tests send to, over real HTTP: one per test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from voipdesk.sandbox import DEMO_ACCOUNT, Sandbox, SandboxThread


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxThread]:
    with SandboxThread(Sandbox((DEMO_ACCOUNT,))) as running:
        yield running


@pytest.fixture
def clean_sandbox(sandbox):
    """The module's sandbox with nothing sent, requested or faulted by an earlier test."""
    sandbox.call(sandbox.sandbox.sent.clear)
    sandbox.call(sandbox.sandbox.requests.clear)
    sandbox.call(sandbox.sandbox._faults.clear)
    return sandbox
