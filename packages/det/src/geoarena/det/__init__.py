"""geoarena.det: object detection in geo-referenced imagery.

Horizontal (HBB) and oriented (OBB) boxes, COCO-exact metrics, geo-referencing of detections,
dataset readers (YOLO, COCO, VOC, DOTA, xView), a window-by-window sliced inference engine and
an ultralytics YOLO adapter for the GeoArena harness.
"""
