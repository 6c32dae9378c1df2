"""Format readers on fixtures in the real on-disk layouts, and clear errors for bad input."""

from __future__ import annotations

import numpy as np
import pytest

from geoarena.core.errors import DataError
from geoarena.det.formats import read_coco, read_dota, read_image, read_voc, read_xview, read_yolo


def test_yolo_hbb_and_obb(fixtures, make_data):
    lab = read_yolo(
        fixtures / "yolo/labels/a.txt", fixtures / "yolo/images/a.png", make_data.CLASSES
    )
    np.testing.assert_allclose(lab.boxes, [[4, 6, 20, 16], [30, 10, 50, 40]], atol=1e-4)
    assert lab.names == ["car", "tree"] and (lab.width, lab.height) == (64, 48)
    obb = read_yolo(
        fixtures / "yolo/labels_obb/a.txt",
        fixtures / "yolo/images/a.png",
        make_data.CLASSES,
        obb=True,
    )
    assert obb.is_obb
    np.testing.assert_allclose(obb.boxes[0], make_data.OBB, atol=1e-4)


def test_coco_json(fixtures):
    labels, names = read_coco(fixtures / "coco.json")
    assert names == ["car", "tree"]
    assert [len(x.names) for x in labels] == [2, 1, 0]  # the unlabelled image is kept
    np.testing.assert_allclose(labels[1].boxes, [[0, 0, 10, 8]])
    np.testing.assert_array_equal(labels[0].label_ids(names), [0, 1])


def test_voc_xml(fixtures):
    lab = read_voc(fixtures / "voc/a.xml")
    np.testing.assert_allclose(lab.boxes, [[4, 6, 20, 16], [30, 10, 50, 40]])
    assert lab.names == ["car", "tree"] and lab.image.name == "a.png"


def test_dota_txt_with_header_and_difficult(fixtures, make_data):
    lab = read_dota(fixtures / "dota/a.txt", fixtures / "yolo/images/a.png")
    assert lab.names == ["small-vehicle", "large-vehicle"]
    np.testing.assert_allclose(lab.boxes[0], make_data.OBB, atol=0.06)
    np.testing.assert_array_equal(lab.difficult, [False, True])


def test_xview_geojson(fixtures):
    per = read_xview(fixtures / "xview.geojson", class_map={18: "car", 73: "building"})
    assert sorted(per) == ["a.png", "b.png"]
    np.testing.assert_allclose(per["a.png"].boxes, [[4, 6, 20, 16], [30, 10, 50, 40]])
    assert per["a.png"].names == ["car", "building"]


def test_out_of_range_yolo_box_names_the_file_and_line(fixtures, make_data):
    with pytest.raises(DataError, match=r"out_of_range\.txt.*line 2.*outside \[0, 1\]"):
        read_yolo(
            fixtures / "bad/out_of_range.txt", fixtures / "yolo/images/a.png", make_data.CLASSES
        )


def test_out_of_range_voc_box_names_the_file(fixtures):
    with pytest.raises(DataError, match=r"out_of_range\.xml.*box 1.*outside the 64x48 image"):
        read_voc(fixtures / "bad/out_of_range.xml")


def test_malformed_xml_and_unknown_class(fixtures, make_data):
    with pytest.raises(DataError, match=r"malformed\.xml.*malformed XML"):
        read_voc(fixtures / "bad/malformed.xml")
    lab = read_voc(fixtures / "voc/a.xml")
    with pytest.raises(DataError, match=r"unknown class name.*'tree'"):
        lab.label_ids(("car",))


def test_corrupt_images_name_the_file(fixtures):
    with pytest.raises(DataError, match=r"truncated\.png"):
        read_image(fixtures / "bad/truncated.png")
    with pytest.raises(DataError, match=r"notanimage\.tif.*corrupt or unreadable"):
        read_image(fixtures / "bad/notanimage.tif")
    with pytest.raises(DataError, match=r"notanimage\.tif.*cannot read image"):
        read_yolo(fixtures / "yolo/labels/a.txt", fixtures / "bad/notanimage.tif", ("car", "tree"))
    img = read_image(fixtures / "yolo/images/a.png")
    assert img.shape == (48, 64, 3) and img.dtype == np.uint8
