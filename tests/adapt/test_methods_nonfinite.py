"""A hyper-parameter is checked finite wherever it enters (YAML, Study, Python API)."""

import math

import pytest

from serlib.adapt import get_method, resolve_hyper
from serlib.errors import ConfigError


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_a_non_finite_trade_off_is_refused_with_its_name(value):
    with pytest.raises(ConfigError, match=r"trade_off=.* must be a finite number"):
        resolve_hyper(get_method("mmd"), {"trade_off": value}, where="test")
