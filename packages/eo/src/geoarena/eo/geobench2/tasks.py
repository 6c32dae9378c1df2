"""The 19 GEO-Bench-2 tasks (``eo/gb2-<dataset>``), each with the leaderboard's metric.

Registration imports nothing heavy: data modules and metrics are built on first use.
"""

from __future__ import annotations

from geoarena.core.registry import TASKS
from geoarena.core.task import DataContext, Task
from geoarena.eo.geobench2.specs import SPECS, GB2Spec

#: GeoArena task name of a GEO-Bench-2 dataset
TASK_PREFIX = "eo/gb2-"


def task_name(dataset: str) -> str:
    return f"{TASK_PREFIX}{dataset}"


def _metrics(spec: GB2Spec):
    def build():
        if spec.kind == "seg":
            from geoarena.core.metrics import ConfusionMatrixMetric

            return ConfusionMatrixMetric(
                spec.num_classes, target_key="mask", ignore_index=spec.ignore_index
            )
        if spec.kind == "cls":
            from geoarena.core.metrics import ConfusionMatrixMetric

            return ConfusionMatrixMetric(spec.num_classes, target_key="label")
        if spec.kind == "multilabel":
            from geoarena.core.metrics import MultilabelF1

            return MultilabelF1(spec.num_classes)
        if spec.kind == "regression":
            from geoarena.eo.geobench2.metrics import PixelRegressionMetric

            return PixelRegressionMetric()
        if spec.kind == "instance_seg":
            from geoarena.eo.geobench2.metrics import InstanceSegMetric

            return InstanceSegMetric(spec.num_classes, spec.class_names)
        from geoarena.eo.geobench2.metrics import BoxDetectionMetric

        return BoxDetectionMetric(spec.num_classes, spec.class_names)

    return build


def make_task(spec: GB2Spec) -> Task:
    def datamodule(ctx: DataContext):
        from geoarena.eo.geobench2.datamodule import GB2DataModule, find_dataset_files

        return GB2DataModule(
            find_dataset_files(ctx.data_root, spec), spec, max_samples=16 if ctx.quick else None
        )

    return Task(
        name=task_name(spec.name),
        kind=spec.kind,  # type: ignore[arg-type]
        datamodule=datamodule,
        metrics=_metrics(spec),
        metric=spec.metric,
        direction="minimize" if spec.kind == "regression" else "maximize",
        num_classes=spec.num_classes,
        class_names=spec.class_names,
        capabilities=spec.capabilities,
        modality="eo",
        dataset=spec.name,
        needs_data_root=True,
        description=f"GEO-Bench-2 {spec.name}: {spec.description}",
    )


def register() -> None:
    """Register the 19 tasks (names only; nothing is read until a task is built)."""
    for spec in SPECS.values():
        TASKS.add(task_name(spec.name), (lambda s=spec: make_task(s)))


#: R-CNN models for GEO-Bench-2's detection and instance tasks: name → registered EO backbone
RCNN_MODELS = {
    "eo/rcnn-resnet18": "eo/resnet18",
    "eo/rcnn-convnext-atto": "eo/convnext-atto",
    "eo/rcnn-prithvi-tiny": "eo/prithvi-tiny",
}


def register_models() -> None:
    """``eo/rcnn-<backbone>``: Faster R-CNN (det) / Mask R-CNN (instance_seg) on EO encoders."""
    from geoarena.core.registry import MODELS

    for name, base in RCNN_MODELS.items():

        def factory(_name=name, _base=base, **model_kwargs):
            from geoarena.eo.geobench2.rcnn import RCNNAdapter

            return RCNNAdapter(_name, _base, **model_kwargs)

        MODELS.add(
            name,
            factory,
            kinds=("det", "instance_seg"),
            family="rcnn",
            backbone=base,
            # the encoder is frozen or partly frozen by the protocol; the R-CNN heads always train
            protocols=("finetune", "frozen", "partial2"),
            train_keys="all",  # trained with TorchFitLoop
        )
