"""Evaluation protocols on an EO encoder: freezing (``apply_protocol``) and LoRA on a frozen
encoder through peft (``inject_adapter_in_model``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from torch import nn

from geoarena.core.errors import ConfigError
from geoarena.core.protocol import EvalProtocol, freeze_module

if TYPE_CHECKING:
    from geoarena.eo.models.encoders import Encoder


def add_lora(
    encoder: nn.Module,
    rank: int,
    targets: tuple[str, ...],
    alpha: float | None = None,
    dropout: float = 0.0,
) -> int:
    """Insert rank-``rank`` LoRA adapters into ``encoder``'s layers named by ``targets``
    (module-name suffixes); only the adapters stay trainable. Returns the number of LoRA
    parameters added."""
    if not targets:
        raise ConfigError(f"{type(encoder).__name__} names no LoRA target layers")
    from peft import LoraConfig, inject_adapter_in_model

    config = LoraConfig(
        r=rank,
        lora_alpha=alpha or 2 * rank,
        lora_dropout=dropout,
        target_modules=list(targets),
        bias="none",
    )
    inject_adapter_in_model(config, encoder)
    n = 0
    for name, p in encoder.named_parameters():
        is_lora = "lora_" in name
        p.requires_grad_(is_lora)
        n += p.numel() if is_lora else 0
    if n == 0:
        raise ConfigError(
            f"LoRA found none of the target layers {targets} in {type(encoder).__name__}"
        )
    return n


def apply_protocol(
    encoder: Encoder, protocol: EvalProtocol, lora_alpha: float | None = None
) -> None:
    """Freeze ``encoder`` per ``protocol``: ``none`` trains all; ``backbone`` freezes all;
    ``all_but_last_n`` leaves the last N stages trainable; ``lora_rank > 0`` adds trainable LoRA
    adapters to the frozen encoder."""
    blocks = encoder.stages() if protocol.freeze == "all_but_last_n" else None
    if blocks is not None and protocol.last_n > len(blocks):
        raise ConfigError(
            f"protocol {protocol.name} unfreezes {protocol.last_n} blocks; the encoder has {len(blocks)}"
        )
    freeze_module(encoder, protocol, blocks=blocks)
    if protocol.lora_rank > 0:
        add_lora(encoder, protocol.lora_rank, encoder.lora_targets, alpha=lora_alpha)
