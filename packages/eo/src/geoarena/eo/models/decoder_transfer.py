"""Pretrained U-Net decoders: the decoder blocks of a whole-model smp ``Unet`` checkpoint loaded
into GeoArena's :class:`~geoarena.eo.models.decoders.UNetDecoder`.

A checkpoint of a whole segmentation network (ukis-csmask's cloud U-Nets, any smp ``Unet``
state dict or ONNX export) holds a trained decoder beside its encoder. On a small task a
decoder that already knows how to merge the encoder's levels starts from more than random
init; ``model_kwargs={"decoder_weights": True}`` takes it (the ``weights`` file supplies both).

smp's ``UnetDecoder`` block ``k`` is two conv-BN-ReLU (``blocks.k.conv1`` / ``conv2``) on the
upsampled map concatenated with the next finer skip, from the deepest level up; GeoArena's
U-Net block ``k`` is the same two layers (``blocks.k.0`` / ``blocks.k.1``) in the same order,
so with the checkpoint's widths (and smp's nearest-neighbour upsampling) the tensors load key
for key and compute what they computed there. smp's last block (upsampling the
stride-2 map to the input without a skip) and its 3×3 segmentation head have no counterpart:
GeoArena's 1×1 classifier on the stride-2 map is new for the task's classes.
"""

from __future__ import annotations

import re
from pathlib import Path

import torch
from torch import nn

from geoarena.core.errors import ConfigError

#: ``…decoder.blocks.<k>.conv<1|2>.<0: conv | 1: batch norm>.<tensor>`` in an smp Unet
SMP_BLOCK = re.compile(r"(?:^|\.)decoder\.blocks\.(\d+)\.conv([12])\.([01])\.(\w+)$")


def smp_unet_blocks(
    state: dict[str, torch.Tensor], n_blocks: int, path: str | Path
) -> tuple[list[int], dict[str, torch.Tensor]]:
    """The first ``n_blocks`` decoder blocks of an smp Unet checkpoint as ``UNetDecoder``
    tensors, and their widths finest first (``UNetDecoder``'s ``widths``)."""
    blocks: dict[str, torch.Tensor] = {}
    widths: dict[int, int] = {}
    for key, value in state.items():
        m = SMP_BLOCK.search(key)
        if not m or int(m[1]) >= n_blocks:
            continue
        block, conv, layer, tensor = int(m[1]), int(m[2]), m[3], m[4]
        blocks[f"blocks.{block}.{conv - 1}.{layer}.{tensor}"] = value
        if conv == 1 and layer == "0" and tensor == "weight":
            widths[block] = int(value.shape[0])
    if sorted(widths) != list(range(n_blocks)):
        raise ConfigError(
            f"{path}: decoder_weights needs an smp U-Net decoder with at least {n_blocks} "
            f"blocks (keys '…decoder.blocks.<k>.conv1.0.weight'); found blocks {sorted(widths)}"
        )
    # GeoArena's block 0 is the deepest, like smp's; its widths list runs finest first
    return [widths[k] for k in reversed(range(n_blocks))], blocks


def load_pretrained_unet_decoder(net: nn.Module, path: str | Path | None) -> dict[str, list[str]]:
    """Replace ``net.decoder`` (a ``SegmenterModel``'s U-Net) by one with the widths of the
    checkpoint at ``path`` and load its blocks; the classifier stays new, for the same classes.
    Raises ``ConfigError`` when there is no checkpoint, the model has no plain U-Net decoder
    on the encoder's levels (a classifier, another decoder, a neck, ``input_skip``), or the
    checkpoint's blocks do not fit those levels."""
    from geoarena.eo.models.checkpoints import load_state_dict
    from geoarena.eo.models.decoders import UNetDecoder

    if not path:
        raise ConfigError("decoder_weights: no weights file to take the decoder from")
    plain = getattr(net, "neck", 1) is None and getattr(net, "input_stem", 1) is None
    if getattr(net, "decoder_name", "") != "unet" or not plain:
        raise ConfigError(
            "decoder_weights loads a U-Net decoder on the encoder's own levels: this model has "
            f"{getattr(net, 'decoder_name', 'a classification head')!r}"
            + ("" if plain else " with a neck or input_skip")
        )
    num_classes = net.decoder.classifier.out_channels
    channels = list(net.encoder.channels)
    widths, blocks = smp_unet_blocks(load_state_dict(path), len(channels) - 1, path)
    decoder = UNetDecoder(channels, num_classes, widths=widths, upsample="nearest")
    try:
        result = decoder.load_state_dict(blocks, strict=False)
    except RuntimeError as exc:  # a size mismatch: another encoder's decoder
        raise ConfigError(
            f"{path}: its decoder does not fit encoder levels {channels}: {exc}"
        ) from exc
    missing = [k for k in result.missing_keys if not k.startswith("classifier.")]
    if missing or result.unexpected_keys:
        raise ConfigError(f"{path}: decoder keys missing {missing[:5]}")
    net.decoder = decoder
    return {"decoder_loaded": sorted(blocks)}
