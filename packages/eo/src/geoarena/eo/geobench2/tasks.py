"""The 19 GEO-Bench-2 tasks (``eo/gb2-<dataset>``), each with the leaderboard's metric, and
the R-CNN models of its detection/instance tasks; all registered on import.

Registration imports nothing heavy: data modules and metrics are built on first use.
"""

from __future__ import annotations

from geoarena.core.registry import MODELS, TASKS
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


@TASKS.register_each(SPECS.values(), name=lambda s: task_name(s.name))
def make_task(spec: GB2Spec) -> Task:
    """The GEO-Bench-2 task of ``spec`` (registered as ``eo/gb2-<spec.name>``, one per row)."""

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


#: R-CNN models for GEO-Bench-2's detection and instance tasks: name → registered EO backbone
RCNN_MODELS = {
    "eo/rcnn-resnet18": "eo/resnet18",
    "eo/rcnn-convnext-atto": "eo/convnext-atto",
    "eo/rcnn-prithvi-tiny": "eo/prithvi-tiny",
}


@MODELS.register_each(
    RCNN_MODELS.items(),
    name=lambda row: row[0],
    meta=lambda row: {"backbone": row[1]},
    kinds=("det", "instance_seg"),
    family="rcnn",
    # the encoder is frozen or partly frozen by the protocol; the R-CNN heads always train
    protocols=("finetune", "frozen", "partial2"),
    train_keys="all",  # trained with TorchFitLoop
)
def make_rcnn(row: tuple[str, str], **model_kwargs):
    """``eo/rcnn-<backbone>``: Faster R-CNN (det) / Mask R-CNN (instance_seg) on an EO encoder."""
    from geoarena.eo.geobench2.rcnn import RCNNAdapter  # torch/torchvision load here

    name, base = row
    return RCNNAdapter(name, base, **model_kwargs)
