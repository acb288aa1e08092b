"""A 20-step run of benchmarks/seismic_s_phase.py on synthetic data (the numbers mean nothing)."""

import importlib.util
import json
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "seismic_s_phase.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("seismic_s_phase", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def parts(bench):
    """The benchmark's modules (importable once the script has put the checkout on sys.path)."""
    from types import SimpleNamespace

    from benchmarks import _seismic_common, _seismic_data, _seismic_train

    return SimpleNamespace(make_data=_seismic_data.make_data, train_arm=_seismic_train.train_arm,
                           new_model=_seismic_train.new_model, make_trainer=_seismic_train.make_trainer,
                           BETAS=_seismic_common.BETAS)


def test_twenty_step_run_writes_json_and_figures_and_resumes(bench, tmp_path):
    argv = [
        "--steps", "20", "--branch-at", "10", "--batch-size", "4", "--eval-windows", "16", "--dev-windows", "8",
        "--curve-every", "10", "--curve-windows", "8", "--track-every", "5", "--threads", "1", "--device", "cpu",
        "--out", str(tmp_path / "smoke.json"), "--work-dir", str(tmp_path / "work"),
    ]
    report = bench.run(argv)
    saved = json.loads((tmp_path / "smoke.json").read_text())
    assert saved["command"].startswith("python benchmarks/seismic_s_phase.py --steps 20")
    assert saved["settings"]["steps"] == 20 and saved["settings"]["branch_at"] == 10
    run = saved["runs"][0]
    # the default arms: the two trained ones and the two post-hoc maps of the bce network
    assert run["schedule"] == "branch" and set(run["arms"]) == {"bce", "shapeloss", "bce_tuned", "bce_calibrated", "bce_power"}
    for name, arm in run["arms"].items():
        assert arm["phases"]["S"]["n_labels"] == 16
        assert 0.0 <= arm["phases"]["S"]["band_share"] <= 1.0
        assert len(arm["hits"]["S"]) == 16
        if name in ("bce", "shapeloss"):  # trained arms (the post-hoc ones map the bce network's outputs)
            assert [r["step"] for r in arm["curve"]] == [0, 10, 20]
    assert run["timing"]["shapeloss"]["steps_run"] == 10
    # what the run trained on is recorded by the run itself
    import torch

    assert run["device_info"]["device"] == "cpu" and run["device_info"]["torch"] == torch.__version__
    assert saved["environment"]["device_info"]["torch_cuda"] == torch.version.cuda
    assert "S_ratio_at_least_1.64" in saved["summary"]["branch"]["synthetic_targets"]
    assert all(Path(f).exists() for f in report["figures"]) and len(report["figures"]) >= 4
    # The same numbers as the benchmark before it was split into modules (commit 7f54cfe, this command,
    # 1 CPU thread): a restructuring must not move them. Peak heights come from trained float32 weights
    # (a relative 1e-4 leaves room for another CPU's rounding, and is 30x below the bce-shapeloss gap);
    # the threshold-free measures are ratios of pick counts.
    arms = run["arms"]
    assert arms["bce"]["phases"]["S"]["median_height"] == pytest.approx(0.012297127395868301, rel=1e-4)
    assert arms["shapeloss"]["phases"]["S"]["median_height"] == pytest.approx(0.012337504420429468, rel=1e-4)
    assert arms["bce_tuned"]["phases"]["P"]["median_height"] == pytest.approx(0.2407134473323822, rel=1e-4)
    assert arms["bce_power"]["phases"]["P"]["effective"] == 16 and arms["bce_power"]["phases"]["P"]["dev_threshold"] == 0.9
    assert arms["bce_tuned"]["phases"]["P"]["dev_threshold"] == 0.25
    tf = run["threshold_free"]
    assert tf["bce"]["labels"]["S"]["pr_auc"]["value"] == pytest.approx(0.001691017316017316, rel=1e-9)
    assert tf["shapeloss"]["labels"]["S"]["pr_auc"]["value"] == pytest.approx(0.0009328358208955224, rel=1e-9)
    assert tf["shapeloss"]["truth"]["S"]["best_f1"]["value"] == pytest.approx(0.024096385542168676, rel=1e-9)

    # The docs' tables are printed from such a JSON.
    from benchmarks._seismic_summary import rows

    lines = rows(saved)
    assert len(lines) == 2 and lines[0].startswith("| branch | 0 | bce | ") and lines[1].count("[") == 2

    # Running the same command again resumes: nothing is retrained.
    again = bench.run(argv)
    assert again["runs"][0]["arms"]["bce"]["phases"] == run["arms"]["bce"]["phases"]


def test_interrupted_arm_resumes_from_its_checkpoint(bench, parts, tmp_path):
    base = [
        "--schedule", "scratch", "--batch-size", "2", "--eval-windows", "4", "--dev-windows", "4",
        "--curve-every", "5", "--curve-windows", "4", "--threads", "1", "--device", "cpu", "--checkpoint-every", "5",
        "--no-figures", "--work-dir", str(tmp_path / "work"), "--out", str(tmp_path / "r.json"),
    ]
    args = bench.parse_args(base + ["--steps", "10"])
    args.work_root = str(tmp_path / "manual")
    data, dev, ev = parts.make_data(args, 0)
    trainer, timing, _ = parts.train_arm(args, "bce", None, 0, data, dev, tmp_path, until=5)
    assert trainer.step_count == 5 and (tmp_path / "bce.pt").exists()
    trainer, timing, _ = parts.train_arm(args, "bce", None, 0, data, dev, tmp_path, until=10)
    assert trainer.step_count == 10 and timing["steps_run"] == 5


def test_worker_processes_feed_the_same_batches(bench, parts, tmp_path):
    """--workers N makes the batches ahead in other processes: the trained weights are the same."""
    import torch

    weights = {}
    for workers in (0, 1):
        args = bench.parse_args(["--schedule", "scratch", "--steps", "4", "--batch-size", "2", "--dev-windows", "4",
                                 "--eval-windows", "4", "--threads", "1", "--device", "cpu", "--no-figures",
                                 "--workers", str(workers), "--work-dir", str(tmp_path / "w")])
        data, dev, _ = parts.make_data(args, 0)
        folder = tmp_path / f"workers{workers}"
        folder.mkdir()
        trainer, _, _ = parts.train_arm(args, "bce", None, 0, data, dev, folder, until=4)
        weights[workers] = trainer.model.state_dict()
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])


def test_output_prior_and_study_betas(bench, parts):
    import torch

    args = bench.parse_args(["--dev-windows", "4", "--adam-betas", "study", "--threads", "1", "--device", "cpu"])
    data, dev, _ = parts.make_data(args, 0)
    net = parts.new_model(args, dev)
    expected = dev.labels.mean(axis=(0, 2))
    assert torch.allclose(torch.sigmoid(net.out.bias), torch.tensor(expected, dtype=torch.float32), atol=1e-4)
    assert parts.BETAS["study"] == {"generator": (0.0, 0.999), "critic": (0.0, 0.999)}
    none = parts.new_model(bench.parse_args(["--output-prior", "none"]), dev)
    assert not torch.allclose(torch.sigmoid(none.out.bias), torch.tensor(expected, dtype=torch.float32), atol=1e-2)
    with pytest.raises(SystemExit):
        bench.parse_args(["--workers", "-1"])


def test_d_every_reaches_the_trainer(bench, parts, tmp_path):
    args = bench.parse_args(["--d-every", "3", "--dev-windows", "4", "--threads", "1", "--device", "cpu"])
    data, dev, _ = parts.make_data(args, 0)
    trainer = parts.make_trainer(args, parts.new_model(args, dev), True, tmp_path / "c.pt", 0, tmp_path / "log.jsonl")
    assert trainer.d_every == 3
    with pytest.raises(SystemExit):
        bench.parse_args(["--d-every", "0"])


def test_init_from_fine_tunes_the_checkpoint_of_another_run(bench, parts, tmp_path):
    """--init-from: the warm-up starts from the given weights (recorded in the seed's folder), not from scratch."""
    import torch

    from benchmarks._seismic_seed import run_seed
    from shapeloss.seed import seed_everything

    base = ["--steps", "4", "--branch-at", "2", "--batch-size", "2", "--eval-windows", "4", "--dev-windows", "4",
            "--curve-every", "2", "--curve-windows", "4", "--threads", "1", "--device", "cpu", "--no-figures"]
    probe = bench.parse_args(base)
    data, dev, ev = parts.make_data(probe, 0)
    seed_everything(123)  # "another run": weights unlike seed 0's initialisation, saved as the trainer saves them
    pretrained = parts.new_model(probe, dev).state_dict()
    (tmp_path / "pre" / "seed0").mkdir(parents=True)
    torch.save({"model": pretrained}, tmp_path / "pre" / "seed0" / "bce.pt")
    args = bench.parse_args(base + ["--init-from", str(tmp_path / "pre" / "seed{seed}" / "bce.pt")])
    args.command, args.commit = "test", None  # what the command sets before its seeds run
    folder = tmp_path / "tuned_seed0"
    run_seed(args, 0, "branch", data, dev, ev, folder)
    assert json.loads((folder / "init_from.json").read_text())["path"] == str(tmp_path / "pre" / "seed0" / "bce.pt")
    warm = torch.load(folder / "warmup.pt")["model"]
    seed_everything(0)
    scratch = parts.new_model(args, dev).state_dict()  # where the warm-up would start without --init-from
    weights = [k for k, _ in parts.new_model(args, dev).named_parameters()]  # not the normalisation statistics
    moved = max((warm[k] - pretrained[k]).abs().max().item() for k in weights)
    fresh = max((scratch[k] - pretrained[k]).abs().max().item() for k in weights)
    assert moved <= 2.5 * args.lr < fresh / 10  # Adam moves a weight by about lr per step: 2 warm-up steps
