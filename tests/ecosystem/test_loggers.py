"""TensorBoard / MLflow callbacks of AdversarialTrainer, with tracked-sample figures."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from shapeloss import AdversarialTrainer, ShapeLoss
from shapeloss.discriminators import GlobalCritic
from shapeloss.errors import InvalidArgumentError
from shapeloss.loggers import tracked_figure
from shapeloss.nets import UNet1d


def _trainer(callbacks):
    torch.manual_seed(0)
    net = UNet1d(1, 1, widths=(4, 8), norm="group")
    critic = GlobalCritic(1, 1, width=8, depth=2, norm="none")
    loss = ShapeLoss(torch.nn.BCEWithLogitsLoss(), critic, weight=10.0)
    trainer = AdversarialTrainer(net, loss, torch.optim.Adam(net.parameters(), 1e-2),
                                 torch.optim.Adam(critic.parameters(), 1e-3), callbacks=callbacks, progress=False)
    x = torch.randn(8, 1, 64, generator=torch.Generator().manual_seed(1))
    return trainer, (x, torch.sigmoid(4 * x))


def test_tracked_figure_1d_and_2d():
    hist = [(s, np.random.default_rng(s).random((3, 2, 50))) for s in (0, 10, 20, 30, 40)]
    fig = tracked_figure(hist, labels=np.zeros((3, 2, 50)), channel_names=["P", "S"], max_samples=2)
    assert len(fig.axes) == 2
    assert "40" in fig.axes[0].get_title()
    fig2 = tracked_figure([(5, np.random.default_rng(0).random((2, 1, 8, 8)))])
    assert len(fig2.axes) == 2
    with pytest.raises(InvalidArgumentError, match="history: expected at least one"):
        tracked_figure([])


def test_tensorboard_callback_writes_scalars_and_figures(tmp_path):
    pytest.importorskip("tensorboard", reason="tensorboard (extra 'logging') not installed")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from shapeloss.loggers import TensorBoardCallback

    tb = TensorBoardCallback(tmp_path / "tb", every=2, labels=None)
    trainer, batch = _trainer([tb])
    trainer.track(batch[0][:2], every=3)
    trainer.fit(lambda step: batch, steps=6)
    tb.close()
    acc = EventAccumulator(str(tmp_path / "tb")).Reload()
    scalars = acc.Tags()["scalars"]
    assert {"train/base", "train/adversarial", "train/discriminator", "train/real_score"} <= set(scalars)
    assert [e.step for e in acc.Scalars("train/base")] == [2, 4, 6]
    np.testing.assert_allclose([e.value for e in acc.Scalars("train/base")],
                               [m["base"] for m in list(trainer.metrics)[1::2]], rtol=1e-6)
    images = acc.Tags()["images"]
    assert "train/tracked" in images
    assert [e.step for e in acc.Images("train/tracked")] == [0, 3, 6]  # recorded at 0, 3, 6


def test_mlflow_callback_logs_metrics_and_figures(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow 3 refuses file stores otherwise
    pytest.importorskip("mlflow", reason="mlflow (extra 'logging') not installed")
    from mlflow.tracking import MlflowClient

    from shapeloss.loggers import MLflowCallback

    uri = (tmp_path / "mlruns").as_uri()  # a file store: mlflow-skinny has no SQL backend
    cb = MLflowCallback(tracking_uri=uri, experiment="shapeloss-test", run_name="t", params={"weight": 10.0})
    try:
        trainer, batch = _trainer([cb])
        trainer.track(batch[0][:2], every=2)
        trainer.fit(lambda step: batch, steps=4)
    finally:
        cb.close()
    client = MlflowClient(uri)
    history = client.get_metric_history(cb.run_id, "base")
    assert [m.step for m in history] == [1, 2, 3, 4]
    assert client.get_run(cb.run_id).data.params["weight"] == "10.0"
    artifacts = [a.path for a in client.list_artifacts(cb.run_id, "tracked")]
    assert "tracked/step_0000004.png" in artifacts
