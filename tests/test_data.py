"""step_loader keeps step order and content, in-process and with workers."""

import pytest
import torch

from shapeloss.data import StepBatches, step_loader
from shapeloss.errors import InvalidArgumentError


def batch_of(step):
    g = torch.Generator().manual_seed(step)
    return torch.randn(2, 1, 8, generator=g), torch.rand(2, 1, 8, generator=g)


@pytest.mark.parametrize("workers", [0, 2])
def test_order_and_content(workers):
    got = list(step_loader(batch_of, start=5, stop=11, workers=workers))
    assert len(got) == 6
    for k, (x, y) in zip(range(5, 11), got):
        ex, ey = batch_of(k)
        assert torch.equal(x, ex) and torch.equal(y, ey)


def test_bad_arguments():
    with pytest.raises(TypeError, match="batch_fn"):
        StepBatches(3)
    with pytest.raises(InvalidArgumentError, match="stop"):
        StepBatches(batch_of, start=4, stop=4)
    with pytest.raises(InvalidArgumentError, match="workers"):
        step_loader(batch_of, workers=-1)
