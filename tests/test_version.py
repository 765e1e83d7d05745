"""The version the app reports is the version the package is built with."""

import tomllib
from pathlib import Path

from voipdesk import __version__


def test_the_package_version_matches_pyproject():
    pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
    assert tomllib.loads(pyproject.read_text("utf-8"))["project"]["version"] == __version__
