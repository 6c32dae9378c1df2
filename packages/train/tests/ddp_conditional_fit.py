"""A two-rank fit (``torchrun --nproc_per_node=2``) of a model with a conditional parameter:
a learned scale used only when a batch carries metadata, which the toy batches never do.
Prints ``FIT_OK <epochs> <rank>`` per rank and ``AUG <rank> <draws>``, what the rank's
augmentation drew; ``--unmarked`` leaves the parameter undeclared."""

from __future__ import annotations

import sys

import torch
import torch.nn.functional as F

from geoarena.core.config import TrainConfig
from geoarena.train.fit_loop import TorchFitLoop
from geoarena.train.testing import ToyBlobs


class MetaScaled(torch.nn.Module):
    def __init__(self, declared: bool):
        super().__init__()
        self.lin = torch.nn.Linear(8, 3)
        self.scale = torch.nn.Parameter(torch.ones(1))
        self.conditional_parameters = declared

    def forward(self, x, meta=None):
        y = self.lin(x)
        return y if meta is None else y * self.scale


def main() -> None:
    torch.manual_seed(0)
    data = ToyBlobs()
    data.setup()
    loop = TorchFitLoop(
        MetaScaled(declared="--unmarked" not in sys.argv),
        lambda out, b: F.cross_entropy(out, b["label"]),
        evaluate=lambda: {"val/acc": 0.5},
        monitor="val/acc",
        device="cpu",
    )
    draws: list[float] = []

    def augment(batch):  # runs inside the rank's own augmentation stream
        draws.append(round(float(torch.rand(())), 6))
        return batch

    loop.augment = augment
    res = loop.fit(data, TrainConfig(epochs=2, batch_size=32, lr=0.05))
    # one write per line: the ranks share torchrun's stdout, and print's separate writes of
    # each word interleave between them when the stream is unbuffered
    rank = loop.fabric.global_rank
    sys.stdout.write(f"AUG {rank} {','.join(map(str, draws))}\nFIT_OK {res.epochs_run} {rank}\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
