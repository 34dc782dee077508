"""What the terminal shows: progress numbers in one format, the words a run ends with."""

from __future__ import annotations

from types import SimpleNamespace

from nnctl.console import describe, print_summary


def test_progress_numbers_keep_one_format_as_a_loss_crosses_1e4_and_1e_3():
    """Issue 14: `1.153e+04` then `9221.9463` in one run. Four significant digits, never an exponent."""
    losses = [11530.2, 9221.9463, 2.302585, 0.693147, 0.0712, 0.00012346, 0.0]
    shown = [describe({"train_loss": v}).removeprefix("loss ") for v in losses]
    assert shown == ["11530", "9222", "2.303", "0.6931", "0.07120", "0.0001235", "0"]
    assert describe({"train_loss": float("nan"), "val_loss": float("inf")}) == "loss nan  val_loss inf"
    assert describe({"train_loss": 0.5, "train_accuracy": 1.0, "val_accuracy": 0.9125}) == (
        "loss 0.5000  acc 1.000  val_acc 0.912")


def test_an_early_stop_is_said_in_words(capsys):
    summary = {"status": "early_stopped", "epochs": 60, "seconds": 1.234, "best_epoch": 55, "monitor": "val_loss",
               "final": {"train_loss": 0.25}}
    print_summary(SimpleNamespace(summary=summary, run_dir=None))
    assert capsys.readouterr().err.splitlines() == [
        "stopped early after 60 epochs in 1.23 s; kept the weights of epoch 55 (best val_loss)",
        "final weights, whole sets: loss 0.2500",
    ]
    print_summary(SimpleNamespace(summary={**summary, "status": "completed", "epochs": 1}, run_dir=None))
    assert capsys.readouterr().err.splitlines()[0] == "completed after 1 epoch in 1.23 s"
