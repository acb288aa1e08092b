"""shapeloss.activations: names to callables, the old import path kept."""

from __future__ import annotations

import pytest
import torch

from shapeloss.activations import ACTIVATIONS, resolve_activation
from shapeloss.errors import InvalidArgumentError


def test_names_give_the_documented_functions():
    x = torch.randn(2, 3, 5)
    assert torch.equal(resolve_activation("sigmoid")(x), torch.sigmoid(x))
    assert torch.equal(resolve_activation("softmax")(x), torch.softmax(x, dim=1))
    assert torch.allclose(resolve_activation("softmax")(x).sum(dim=1), torch.ones(2, 5))
    assert set(ACTIVATIONS) == {"sigmoid", "softmax"}


def test_a_callable_is_returned_unchanged():
    def f(t):
        return t.clamp(0, 1)

    assert resolve_activation(f) is f


@pytest.mark.parametrize("bad", ["relu", "Sigmoid", "", 3, None])
def test_unknown_activation_names_the_argument(bad):
    with pytest.raises((InvalidArgumentError, TypeError), match="activation: expected"):
        resolve_activation(bad)


def test_the_losses_module_still_exports_the_resolver():
    from shapeloss import losses

    assert losses.resolve_activation is resolve_activation
    assert "resolve_activation" in losses.__all__
