"""The 90° rotation augmentation moves boxes and OBB polygons with the pixels."""

from __future__ import annotations

import numpy as np
from ultralytics.utils.instance import Instances

from geoarena.det.yolo_augment import RandomRot90


def _labels(w=60, h=40):
    img = np.zeros((h, w, 3), dtype=np.uint8)
    img[5:15, 10:30] = 255  # the object: x 10..30, y 5..15
    box = np.array([[10, 5, 30, 15]], dtype=np.float32)
    seg = np.array([[[10, 5], [30, 5], [30, 15], [10, 15]]], dtype=np.float32)
    inst = Instances(box.copy(), seg.copy(), None, bbox_format="xyxy", normalized=False)
    return {"img": img, "instances": inst}


def _bbox_of_white(img):
    ys, xs = np.where(img[..., 0] > 0)
    return [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]


def test_rot90_moves_box_and_polygon_with_the_object():
    for seed in range(6):  # both k=1 and k=3 occur
        lab = RandomRot90(p=1.0, seed=seed)(_labels())
        inst = lab["instances"]
        inst.convert_bbox("xyxy")
        assert lab["img"].shape == (60, 40, 3)
        np.testing.assert_allclose(inst.bboxes[0], _bbox_of_white(lab["img"]))
        seg = inst.segments[0]
        np.testing.assert_allclose(
            [seg[:, 0].min(), seg[:, 1].min(), seg[:, 0].max(), seg[:, 1].max()],
            _bbox_of_white(lab["img"]),
        )


def test_rot90_keeps_normalized_coordinates_normalized():
    lab = _labels()
    lab["instances"].normalize(60, 40)
    lab["instances"].convert_bbox("xywh")
    out = RandomRot90(p=1.0, seed=0)(lab)["instances"]
    assert out.normalized and out._bboxes.format == "xywh"
    out.denormalize(40, 60)
    out.convert_bbox("xyxy")
    np.testing.assert_allclose(
        out.bboxes[0], _bbox_of_white(RandomRot90(p=1.0, seed=0)(_labels())["img"])
    )


def test_p_zero_is_identity():
    lab = _labels()
    out = RandomRot90(p=0.0)(lab)
    assert out["img"].shape == (40, 60, 3)
