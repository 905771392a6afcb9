"""A missing extra is one line naming it and the pip command, before any work."""

import pytest

from lcsim import extras
from lcsim.errors import UsageError


def test_installed_extras_pass():
    extras.require("advise", "calibrate", "discover", "cluster")  # the test extra brings them all


def test_missing_extra_is_one_line_naming_it(monkeypatch):
    monkeypatch.setitem(extras.EXTRAS, "advise", (("no_such_module_xyz",), "lcsim advise"))
    with pytest.raises(UsageError) as caught:
        extras.require("advise")
    message = str(caught.value)
    assert "\n" not in message and "'advise' extra" in message and "pip install 'lcsim[advise]'" in message


def test_unknown_extra_is_refused():
    with pytest.raises(UsageError, match="not an lcsim extra"):
        extras.require("gpu")
