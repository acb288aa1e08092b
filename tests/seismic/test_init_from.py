"""``--init-from``: the seismic benchmark fine-tunes a pre-trained network (e.g. synthetic, then real)."""

import argparse
import json
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from benchmarks._seismic_cli import parse_args  # noqa: E402
from benchmarks._seismic_pretrained import RECORD, check_init_from, init_path, pretrained_start  # noqa: E402
from benchmarks._seismic_work import run_settings, work_root  # noqa: E402
from shapeloss.errors import CheckpointError  # noqa: E402
from shapeloss.seismic import PhaseNet  # noqa: E402


def _args(template, fresh=False):
    return argparse.Namespace(init_from=template, fresh=fresh, lr=1e-3, adam_betas="default")


def _save(path: Path, seed: int, **kw) -> dict:
    torch.manual_seed(seed)
    net = PhaseNet(**kw)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"model": net.state_dict()}, path)  # the trainer's layout: weights under "model"
    return net.state_dict()


def test_each_seed_starts_from_its_own_checkpoint_with_a_fresh_optimizer(tmp_path):
    template = str(tmp_path / "seed{seed}" / "bce.pt")
    saved = {s: _save(init_path(template, s), 100 + s) for s in (0, 1)}
    for s in (0, 1):
        work = tmp_path / f"work{s}"
        work.mkdir()
        start = pretrained_start(_args(template), s, work, PhaseNet())
        assert start["step"] == 0 and start["g_optimizer"]["state"] == {}
        assert all(torch.equal(start["model"][k], saved[s][k]) for k in saved[s])
        record = json.loads((work / RECORD).read_text())
        assert record["path"] == str(init_path(template, s)) and len(record["sha256"]) == 64


def test_a_folder_is_not_resumed_from_a_checkpoint_with_other_bytes(tmp_path):
    ckpt, work = tmp_path / "bce.pt", tmp_path / "work"
    work.mkdir()
    _save(ckpt, 0)
    pretrained_start(_args(str(ckpt)), 0, work, PhaseNet())
    pretrained_start(_args(str(ckpt)), 0, work, PhaseNet())  # same bytes: resumes
    _save(ckpt, 1)  # the pre-training run was redone
    with pytest.raises(CheckpointError, match=r"--init-from: expected the checkpoint this work folder started from"):
        pretrained_start(_args(str(ckpt)), 0, work, PhaseNet())
    new = pretrained_start(_args(str(ckpt), fresh=True), 0, work, PhaseNet())  # --fresh starts over
    assert torch.equal(new["model"]["inc.weight"], torch.load(ckpt)["model"]["inc.weight"])


def test_another_architecture_is_refused_by_name(tmp_path):
    ckpt, work = tmp_path / "bce.pt", tmp_path / "work"
    work.mkdir()
    _save(ckpt, 0, filters_root=4)
    with pytest.raises(CheckpointError, match=r"--init-from: expected PhaseNet weights of this benchmark's network"):
        pretrained_start(_args(str(ckpt)), 0, work, PhaseNet())
    assert not (work / RECORD).exists()  # a refused checkpoint is not recorded: the right one can start later
    _save(ckpt, 0)
    assert pretrained_start(_args(str(ckpt)), 0, work, PhaseNet())["step"] == 0


def test_the_command_line_checks_every_seeds_checkpoint(tmp_path, capsys):
    template = str(tmp_path / "seed{seed}.pt")
    _save(init_path(template, 0), 0)
    assert check_init_from(template, [0]) == []
    assert check_init_from(None, [0, 1]) == []
    assert check_init_from(template, [0, 1]) == [
        f"--init-from: expected an existing checkpoint for seed 1, got nothing at {str(tmp_path / 'seed1.pt')!r}"]
    assert "no placeholder but {seed}" in check_init_from(str(tmp_path / "{run}.pt"), [0])[0]
    with pytest.raises(SystemExit):
        parse_args(["--device", "cpu", "--seeds", "0", "1", "--init-from", template])
    assert "--init-from: expected an existing checkpoint for seed 1" in capsys.readouterr().err


def test_a_pretrained_run_has_its_own_work_folder_and_the_default_keeps_its_own(tmp_path):
    template = str(tmp_path / "seed{seed}.pt")
    _save(init_path(template, 0), 0)
    plain = parse_args(["--device", "cpu"])
    tuned = parse_args(["--device", "cpu", "--init-from", template])
    assert work_root(plain, run_settings(plain)).name == "seismic_s_phase_synthetic_422933a6d5"
    assert work_root(tuned, run_settings(tuned)) != work_root(plain, run_settings(plain))
    assert run_settings(tuned)["init_from"] == template
