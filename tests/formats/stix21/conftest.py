"""Fixtures for the STIX 2.1 format tests: the stix2-validator assertion and sample paths."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from stix2validator import ValidationOptions, validate_instance

AssertValid = Callable[[dict[str, Any]], None]
BUNDLE_ID = "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d"


@pytest.fixture(scope="session")
def assert_valid_stix() -> AssertValid:
    """Return a check that a bundle (or one object, wrapped) passes stix2-validator 3.2.0."""
    options = ValidationOptions(version="2.1")

    def check(document: dict[str, Any]) -> None:
        if document.get("type") != "bundle":
            document = {"type": "bundle", "id": BUNDLE_ID, "objects": [document]}
        result = validate_instance(document, options)
        assert result.is_valid, [str(error) for error in result.errors]

    return check


@pytest.fixture(scope="session")
def stix_data(shared_data: Path) -> Path:
    """The shared OASIS STIX samples folder."""
    return shared_data / "stix"
