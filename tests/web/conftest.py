"""Fixtures of the web tests: campaign factories on top of the shared app fixtures."""

import pytest

from tests import factories


@pytest.fixture
def make_campaign(app):
    """Factory: make_campaign(outlets=..., status=..., created_by=..., auditors=...) -> Campaign."""
    return factories.make_campaign
