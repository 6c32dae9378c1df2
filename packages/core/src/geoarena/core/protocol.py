"""Evaluation protocols: how much of a pretrained backbone is trained, and on how many labels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Freeze = Literal["none", "backbone", "all_but_last_n"]


@dataclass(frozen=True)
class EvalProtocol:
    """Named, declarative protocol; adapters apply it in ``build`` (freezing) and the runner in
    ``setup`` (label fraction).

    Attributes:
        name: registry name, e.g. ``linear_probe``.
        freeze: ``none`` (full fine-tune), ``backbone`` (frozen encoder), or ``all_but_last_n``.
        last_n: number of trailing backbone blocks left trainable for ``all_but_last_n``.
        head: ``linear`` (a single linear layer on pooled features / per-pixel logits) or
            ``decoder`` (the task's default decoder).
        lora_rank: > 0 inserts LoRA adapters into the frozen backbone (peft).
        frozen_or_full_ft: GEO-Bench-2 column value.
    """

    name: str
    freeze: Freeze = "none"
    last_n: int = 0
    head: Literal["linear", "decoder"] = "decoder"
    lora_rank: int = 0
    description: str = ""

    @property
    def frozen_or_full_ft(self) -> str:
        return "full_ft" if self.freeze == "none" and self.lora_rank == 0 else "frozen"


STANDARD_PROTOCOLS = (
    EvalProtocol("finetune", "none", head="decoder", description="train everything"),
    EvalProtocol(
        "linear_probe", "backbone", head="linear", description="frozen backbone, linear head"
    ),
    EvalProtocol(
        "frozen", "backbone", head="decoder", description="frozen backbone, trained decoder"
    ),
    EvalProtocol(
        "partial2", "all_but_last_n", last_n=2, description="last 2 backbone blocks + decoder"
    ),
    EvalProtocol("lora", "backbone", lora_rank=8, description="frozen backbone with rank-8 LoRA"),
)


def freeze_module(
    module: object, protocol: EvalProtocol, blocks: list[object] | None = None
) -> None:
    """Apply ``protocol`` to a torch backbone in place.

    ``blocks`` lists the backbone's sequential stages (ViT blocks, ResNet layers) so that
    ``all_but_last_n`` knows what "last" means.
    """
    if protocol.freeze == "none":
        return
    for p in module.parameters():  # type: ignore[attr-defined]
        p.requires_grad_(False)
    if protocol.freeze == "all_but_last_n":
        if not blocks:
            raise ValueError(f"protocol {protocol.name!r} needs the backbone's list of blocks")
        for block in blocks[-protocol.last_n :]:
            for p in block.parameters():  # type: ignore[attr-defined]
                p.requires_grad_(True)
