"""The recipes ``benchmarks/spacenet_augment.py`` screens on SpaceNet-4 Atlanta buildings: each
is the ``train.*`` overrides on top of the default suite's entry (``BASE`` there), optionally
``model_kwargs`` and another registered ``model``. Kept in order of the passes that added them
(RESULTS.md, "SpaceNet-4 Atlanta building IoU")."""


def _csmask(loss: str = "weighted_ce", model_kwargs: dict | None = None, **train: object) -> dict:
    """The fifth pass's recipe on the csmask encoder (D4, 40 epochs, patience 15, output stride
    8, the card's unit check waived: see there) with ``train`` overrides and more
    ``model_kwargs``."""
    return {
        "model": "eo/smp-efficientnet-b4-csmask",
        "augment": "d4",
        "loss": loss,
        "epochs": 40,
        "early_stop_patience": 15,
        **train,
        "model_kwargs": {
            "arch": {"output_stride": 8},
            "allow_unit_mismatch": True,
            **(model_kwargs or {}),
        },
    }


RECIPES = {
    "base": {},
    "d4_dice": {"augment": "d4", "loss": "ce+dice"},
    "d4_focal_dice": {"augment": "d4", "loss": "focal+dice"},
    # the ``eo`` suite's schedule for this task (30 epochs, patience 8) with and without the recipe
    "base_30ep": {"epochs": 30, "early_stop_patience": 8},
    "d4_dice_30ep": {"augment": "d4", "loss": "ce+dice", "epochs": 30, "early_stop_patience": 8},
    "d4_focal_dice_30ep": {
        "augment": "d4",
        "loss": "focal+dice",
        "epochs": 30,
        "early_stop_patience": 8,
    },
    # long schedules that augmentation makes possible (68 chips: 9 steps per epoch; 4 at 128 px)
    "d4crop_dice_100ep": {
        "augment": "d4+crop",
        "loss": "ce+dice",
        "epochs": 100,
        "early_stop_patience": 25,
    },
    "d4_wce_40ep": {
        "augment": "d4",
        "loss": "weighted_ce",
        "epochs": 40,
        "early_stop_patience": 15,
    },
    "d4_wce_20ep": {
        "augment": "d4",
        "loss": "weighted_ce",
        "epochs": 20,
        "early_stop_patience": 8,
    },
    "d4_wce_120ep": {
        "augment": "d4",
        "loss": "weighted_ce",
        "epochs": 120,
        "early_stop_patience": 40,
    },
    "d4_wce_40ep_bs4": {
        "augment": "d4",
        "loss": "weighted_ce",
        "epochs": 40,
        "early_stop_patience": 15,
        "batch_size": 4,
    },
    "d4_focal_dice_40ep": {
        "augment": "d4",
        "loss": "focal+dice",
        "epochs": 40,
        "early_stop_patience": 15,
    },
    # dilated ResNet (timm ``output_stride``): deepest map 8×8 (os 8) or 4×4 (os 16) on 64 px
    "d4_wce_40ep_os8": {
        "augment": "d4",
        "loss": "weighted_ce",
        "epochs": 40,
        "early_stop_patience": 15,
        "model_kwargs": {"arch": {"output_stride": 8}},
    },
    "d4_wce_40ep_os16": {
        "augment": "d4",
        "loss": "weighted_ce",
        "epochs": 40,
        "early_stop_patience": 15,
        "model_kwargs": {"arch": {"output_stride": 16}},
    },
    # issue 14, third pass (on the os-8 encoder; screened on seed 0, validation only)
    "d4_wce_40ep_os8_lr1e3": {
        "augment": "d4",
        "loss": "weighted_ce",
        "epochs": 40,
        "early_stop_patience": 15,
        "lr": 1e-3,
        "model_kwargs": {"arch": {"output_stride": 8}},
    },
    "d4_wce_60ep_os8": {
        "augment": "d4",
        "loss": "weighted_ce",
        "epochs": 60,
        "early_stop_patience": 20,
        "model_kwargs": {"arch": {"output_stride": 8}},
    },
    "d4_wcedice_40ep_os8": {
        "augment": "d4",
        "loss": "weighted_ce+dice",
        "epochs": 40,
        "early_stop_patience": 15,
        "model_kwargs": {"arch": {"output_stride": 8}},
    },
    "d4jit_wce_40ep_os8": {
        "augment": "d4+jitter",
        "loss": "weighted_ce",
        "epochs": 40,
        "early_stop_patience": 15,
        "model_kwargs": {"arch": {"output_stride": 8}},
    },
    "d4_wce_40ep_os8_lr4e3": {
        "augment": "d4",
        "loss": "weighted_ce",
        "epochs": 40,
        "early_stop_patience": 15,
        "lr": 4e-3,
        "model_kwargs": {"arch": {"output_stride": 8}},
    },
    "d4_wce_40ep_os8_bs4": {
        "augment": "d4",
        "loss": "weighted_ce",
        "epochs": 40,
        "early_stop_patience": 15,
        "batch_size": 4,
        "model_kwargs": {"arch": {"output_stride": 8}},
    },
    "d4crop_wce_40ep_os8": {
        "augment": "d4+crop",
        "loss": "weighted_ce",
        "epochs": 40,
        "early_stop_patience": 15,
        "model_kwargs": {"arch": {"output_stride": 8}},
    },
    # issue 14, fourth pass: a full-resolution input level in the decoder, test-time D4
    "d4_wce_40ep_os8_tta": {
        "augment": "d4",
        "loss": "weighted_ce",
        "epochs": 40,
        "early_stop_patience": 15,
        "model_kwargs": {"arch": {"output_stride": 8}, "tta": "d4"},
    },
    "d4_wce_40ep_os8_skip": {
        "augment": "d4",
        "loss": "weighted_ce",
        "epochs": 40,
        "early_stop_patience": 15,
        "model_kwargs": {"arch": {"output_stride": 8}, "input_skip": 32},
    },
    "d4_wce_40ep_os8_skip_tta": {
        "augment": "d4",
        "loss": "weighted_ce",
        "epochs": 40,
        "early_stop_patience": 15,
        "model_kwargs": {"arch": {"output_stride": 8}, "input_skip": 32, "tta": "d4"},
    },
    "d4_wce_40ep_os8_cal": {
        "augment": "d4",
        "loss": "weighted_ce",
        "epochs": 40,
        "early_stop_patience": 15,
        "model_kwargs": {"arch": {"output_stride": 8}, "calibrate": "val"},
    },
    "d4_wce_40ep_os8_skip_cal": {
        "augment": "d4",
        "loss": "weighted_ce",
        "epochs": 40,
        "early_stop_patience": 15,
        "model_kwargs": {"arch": {"output_stride": 8}, "input_skip": 32, "calibrate": "val"},
    },
    "d4_wce_40ep_os8_skip_tta_cal": {
        "augment": "d4",
        "loss": "weighted_ce",
        "epochs": 40,
        "early_stop_patience": 15,
        "model_kwargs": {
            "arch": {"output_stride": 8},
            "input_skip": 32,
            "tta": "d4",
            "calibrate": "val",
        },
    },
    # Lovász-softmax (optimises IoU itself) added to the cross-entropy
    "d4_wcelovasz_40ep_os8": {
        "augment": "d4",
        "loss": "weighted_ce+lovasz",
        "epochs": 40,
        "early_stop_patience": 15,
        "model_kwargs": {"arch": {"output_stride": 8}},
    },
    "d4_celovasz_40ep_os8": {
        "augment": "d4",
        "loss": "ce+lovasz",
        "epochs": 40,
        "early_stop_patience": 15,
        "model_kwargs": {"arch": {"output_stride": 8}},
    },
    # the classic U-Net (mmsegmentation's, full-resolution levels, 4 stages: 8×8 deepest on
    # 64 px) instead of a ResNet encoder; ``model`` names another registered model
    "unet_d4_wce_40ep": {
        "model": "eo/mmseg-unet",
        "augment": "d4",
        "loss": "weighted_ce",
        "epochs": 40,
        "early_stop_patience": 15,
    },
    "unet32_d4_wce_40ep": {
        "model": "eo/mmseg-unet",
        "augment": "d4",
        "loss": "weighted_ce",
        "epochs": 40,
        "early_stop_patience": 15,
        "model_kwargs": {"arch": {"base_channels": 32}},
    },
    "d4crop_wce_60ep": {
        "augment": "d4+crop",
        "loss": "weighted_ce",
        "epochs": 60,
        "early_stop_patience": 20,
    },
    "d4crop_dice_30ep": {
        "augment": "d4+crop",
        "loss": "ce+dice",
        "epochs": 30,
        "early_stop_patience": 8,
    },
    # issue 14, fifth pass: pretrained features. The EfficientNet-B4 encoder of ukis-csmask's
    # Sentinel-2 cloud U-Net (ImageNet-initialised, the one pretrained conv encoder a registry
    # ships), dilated to output stride 8 like the ResNet recipe, against the same encoder from
    # random init; lr 1e-3 is the usual fine-tuning rate for a pretrained encoder. The card's
    # unit is reflectance, the scene's 16-bit counts: both are z-scored per band before the
    # encoder (csmask with its training statistics, the task with its train split's), so the
    # unit check is waived
    "csmask_b4_d4_wce_40ep_os8": _csmask(),
    "b4_d4_wce_40ep_os8": {
        "model": "eo/smp-efficientnet-b4",
        "augment": "d4",
        "loss": "weighted_ce",
        "epochs": 40,
        "early_stop_patience": 15,
        "model_kwargs": {"arch": {"output_stride": 8}},
    },
    "csmask_b4_d4_wce_40ep_os8_lr1e3": _csmask(lr=1e-3),
    # the issue names Dice or focal losses: the same encoder with them (Dice collapsed to "no
    # building" from random init; class-weighted CE + Dice did not)
    "csmask_b4_d4_wcedice_40ep_os8": _csmask(loss="weighted_ce+dice"),
    "csmask_b4_d4_focaldice_40ep_os8": _csmask(loss="focal+dice"),
    # issue 14, sixth pass: keeping the pretrained features while the random-init decoder
    # learns (seed 0 of the chosen recipe stopped early: best epoch 16 of 31). The encoder at a
    # tenth of the decoder's rate (mmsegmentation's backbone lr_mult), or a 3-epoch linear warmup
    "csmask_b4_d4_wce_40ep_os8_enc01": _csmask(model_kwargs={"encoder_lr_mult": 0.1}),
    "csmask_b4_d4_wce_40ep_os8_warm3": _csmask(warmup_epochs=3),
    # the csmask checkpoint's trained U-Net decoder too (its first four blocks; the classifier
    # is new): the whole network pretrained, only the last layer from random init
    "csmask_b4dec_d4_wce_40ep_os8": _csmask(model_kwargs={"decoder_weights": True}),
    # an exponential moving average of the weights (timm / ultralytics model EMA): 9 steps per
    # epoch, so decay 0.98 averages over the last ~50 steps (~5 epochs); set before screening
    "csmask_b4_d4_wce_40ep_os8_ema": _csmask(model_kwargs={"ema": 0.98}),
    # the semantic-FPN decoder (Kirillov et al. 2019) on the same encoder instead of the U-Net
    "csmask_b4fpn_d4_wce_40ep_os8": _csmask(model_kwargs={"decoder": "fpn"}),
    # issue 14, seventh pass: seeds 1 and 2 of the chosen recipe ran all 40 epochs without
    # early stopping: a 60-epoch cosine schedule (the same patience) lets them go on
    "csmask_b4_d4_wce_60ep_os8": _csmask(epochs=60),
}
