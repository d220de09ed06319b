"""The pure pre/post-processing functions."""

import io

import numpy as np
import pytest
from PIL import Image

from hailo_inference import pipeline
from hailo_inference.config import Preprocess


def png(array):
    out = io.BytesIO()
    Image.fromarray(array).save(out, format="PNG")
    return out.getvalue()


def test_decode_png_and_jpeg(models_dir):
    image = pipeline.decode_image((models_dir / "red.png").read_bytes())
    assert image.mode == "RGB" and image.size == (64, 48)
    assert pipeline.decode_image((models_dir / "blue.jpg").read_bytes()).size == (40, 40)


@pytest.mark.parametrize("data, message", [
    (b"", "empty"),
    (b"this is not an image", "not a JPEG or PNG"),
])
def test_decode_rejects_non_images(data, message):
    with pytest.raises(pipeline.ImageError, match=message):
        pipeline.decode_image(data)


def test_decode_rejects_truncated(models_dir):
    with pytest.raises(pipeline.ImageError, match="truncated or corrupt"):
        pipeline.decode_image((models_dir / "truncated.jpg").read_bytes())


def test_decode_rejects_other_formats():
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, format="BMP")
    with pytest.raises(pipeline.ImageError, match="BMP images are not accepted"):
        pipeline.decode_image(out.getvalue())


def test_decode_limits_pixels():
    with pytest.raises(pipeline.ImageError, match="more than the limit of 100"):
        pipeline.decode_image(png(np.zeros((20, 20, 3), dtype=np.uint8)), max_pixels=100)


def test_decode_converts_grey_and_alpha_to_rgb():
    grey = pipeline.decode_image(png(np.full((4, 4), 7, dtype=np.uint8)))
    assert grey.mode == "RGB" and np.asarray(grey)[0, 0].tolist() == [7, 7, 7]
    rgba = pipeline.decode_image(png(np.full((4, 4, 4), 9, dtype=np.uint8)))
    assert rgba.mode == "RGB"


def test_resize_stretch():
    image = Image.fromarray(np.zeros((10, 20, 3), dtype=np.uint8))
    array, transform = pipeline.resize(image, 8, 4, "stretch")
    assert array.shape == (4, 8, 3) and array.dtype == np.uint8
    assert transform == pipeline.Transform(20, 10, 0.4, 0.4, 0.0, 0.0)


def test_resize_letterbox_pads_centred_grey():
    image = Image.fromarray(np.full((100, 200, 3), 255, dtype=np.uint8))
    array, transform = pipeline.resize(image, 64, 64, "letterbox")
    assert array.shape == (64, 64, 3)
    assert transform.scale_x == transform.scale_y == 0.32 and (transform.pad_x, transform.pad_y) == (0.0, 16.0)
    assert array[0, 0].tolist() == list(pipeline.LETTERBOX_FILL) and array[63, 63].tolist() == list(
        pipeline.LETTERBOX_FILL)
    assert array[32, 32].tolist() == [255, 255, 255]


def test_resize_unknown_mode():
    with pytest.raises(ValueError, match="unknown resize mode"):
        pipeline.resize(Image.new("RGB", (4, 4)), 2, 2, "crop")


def test_to_model_input_uint8_bgr_nchw():
    rgb = np.zeros((2, 3, 3), dtype=np.uint8)
    rgb[..., 0] = 10
    rgb[..., 2] = 30
    out = pipeline.to_model_input(rgb, Preprocess(colour="bgr", layout="nchw"))
    assert out.shape == (3, 2, 3) and out.dtype == np.uint8 and out.flags.c_contiguous
    assert out[0, 0, 0] == 30 and out[2, 0, 0] == 10


def test_to_model_input_float_normalised_in_model_order():
    rgb = np.zeros((1, 1, 3), dtype=np.uint8)
    rgb[0, 0] = (100, 50, 10)
    out = pipeline.to_model_input(rgb, Preprocess(dtype="float32", mean=(100, 50, 10), std=(2, 5, 10)))
    assert out.dtype == np.float32 and out.reshape(-1).tolist() == [0.0, 0.0, 0.0]
    bgr = pipeline.to_model_input(rgb, Preprocess(colour="bgr", dtype="float32", mean=(0, 0, 0), std=(1, 1, 10)))
    assert bgr.reshape(-1).tolist() == pytest.approx([1.0, 50.0, 100.0])


def test_input_size():
    assert pipeline.input_size((-1, 224, 224, 3), "nhwc") == (224, 224)
    assert pipeline.input_size((1, 3, 32, 48), "nchw") == (32, 48)
    with pytest.raises(ValueError, match="no fixed height"):
        pipeline.input_size((-1, -1, -1, 3), "nhwc")
    with pytest.raises(ValueError, match="three dimensions"):
        pipeline.input_size((10,), "nhwc")


def test_softmax_and_classify():
    assert pipeline.softmax([0.0, 0.0]).tolist() == [0.5, 0.5]
    result = pipeline.classify([0.1, 0.7, 0.2], ["a", "b", "c"], top_k=2)
    assert result == [{"index": 1, "label": "b", "score": 0.7}, {"index": 2, "label": "c", "score": 0.2}]
    with_background = pipeline.classify([9.0, 1.0, 3.0], ["x", "y"], top_k=1, apply_softmax=True, label_offset=1)
    assert with_background[0]["label"] == "y" and with_background[0]["index"] == 1
    assert pipeline.classify([1.0, 2.0], [], top_k=1)[0]["label"] == "class_1"


def test_label_for():
    assert pipeline.label_for(["a"], 0) == "a" and pipeline.label_for(["a"], 3) == "class_3"


def test_nms_by_class_raw_round_trip():
    per_class = [np.array([[0.1, 0.2, 0.3, 0.4, 0.9]], dtype=np.float32), np.empty((0, 5), dtype=np.float32),
                 np.array([[0.0, 0.0, 1.0, 1.0, 0.5], [0.5, 0.5, 0.6, 0.6, 0.4]], dtype=np.float32)]
    raw = pipeline.nms_by_class_to_raw(per_class, max_bboxes_per_class=4)
    assert raw.size == 3 * (1 + 5 * 4)
    back = pipeline.nms_by_class_from_raw(raw, 3)
    assert [a.shape for a in back] == [(1, 5), (0, 5), (2, 5)]
    assert np.allclose(back[2], per_class[2])


def test_nms_by_class_raw_rejects_short_buffers():
    with pytest.raises(ValueError, match="claims 3 boxes"):
        pipeline.nms_by_class_from_raw(np.array([3.0, 0.1, 0.2], dtype=np.float32), 1)
    with pytest.raises(ValueError, match="ends before class 1"):
        pipeline.nms_by_class_from_raw(np.array([0.0], dtype=np.float32), 2)


def test_detections_map_back_through_the_letterbox():
    transform = pipeline.Transform(200, 100, 0.32, 0.32, 0.0, 16.0)
    boxes = [np.array([[8 / 64, 8 / 64, 24 / 64, 24 / 64, 0.9]]), np.array([[0.0, 0.0, 1.0, 1.0, 0.2]])]
    found = pipeline.detections(boxes, ["square", "bar"], transform, 64, 64, score_threshold=0.3)
    assert found == [{"class_id": 0, "label": "square", "score": 0.9,
                      "box": {"x_min": 25.0, "y_min": 0.0, "x_max": 75.0, "y_max": 25.0}}]


def test_detections_sorted_and_limited():
    transform = pipeline.Transform(10, 10, 1.0, 1.0, 0.0, 0.0)
    boxes = [np.array([[0, 0, 0.5, 0.5, 0.4], [0, 0, 0.5, 0.5, 0.8], [0, 0, 0.2, 0.2, 0.6]])]
    found = pipeline.detections(boxes, ["a"], transform, 10, 10, score_threshold=0.1, max_detections=2)
    assert [f["score"] for f in found] == [0.8, 0.6]


def test_iou():
    assert pipeline.iou((0, 0, 2, 2), (0, 0, 2, 2)) == 1.0
    assert pipeline.iou((0, 0, 2, 2), (1, 0, 3, 2)) == pytest.approx(1 / 3)
    assert pipeline.iou((0, 0, 1, 1), (2, 2, 3, 3)) == 0.0
    assert pipeline.iou((0, 0, 0, 0), (0, 0, 0, 0)) == 0.0


def test_yolov8_decode_and_nms():
    # Two overlapping boxes of class 0 (the weaker one is suppressed), one box of class 1.
    raw = np.array([
        [20, 21, 50], [20, 20, 50], [10, 10, 10], [10, 10, 10],
        [0.9, 0.8, 0.1], [0.0, 0.1, 0.7]], dtype=np.float32)
    per_class = pipeline.yolov8_nms_by_class(raw[np.newaxis], 100, 100, score_threshold=0.5, iou_threshold=0.45)
    assert [a.shape[0] for a in per_class] == [1, 1]
    assert per_class[0][0].tolist() == pytest.approx([0.15, 0.15, 0.25, 0.25, 0.9])
    assert per_class[1][0].tolist() == pytest.approx([0.45, 0.45, 0.55, 0.55, 0.7])
    with pytest.raises(ValueError, match="4 \\+ classes"):
        pipeline.yolov8_nms_by_class(np.zeros((3, 5)), 10, 10)


def test_yolov8_keeps_separate_boxes():
    raw = np.array([[10, 80], [10, 80], [10, 10], [10, 10], [0.9, 0.8]], dtype=np.float32)
    assert pipeline.yolov8_nms_by_class(raw, 100, 100)[0].shape == (2, 5)


def test_top1_agreement():
    a = [[{"index": 1}], [{"index": 2}]]
    assert pipeline.top1_agreement(a, [[{"index": 1}], [{"index": 3}]]) == 0.5
    with pytest.raises(ValueError, match="equally long"):
        pipeline.top1_agreement(a, a[:1])


def test_matched_iou():
    def box(class_id, x0):
        return {"class_id": class_id, "box": {"x_min": x0, "y_min": 0, "x_max": x0 + 2, "y_max": 2}}
    assert pipeline.matched_iou([], []) == (1.0, 0, 0, 0)
    mean, matched, n_ref, n_other = pipeline.matched_iou([box(0, 0), box(1, 0)], [box(0, 1), box(0, 10)])
    assert matched == 0 and mean == 0.0 and (n_ref, n_other) == (2, 2)
    mean, matched, _, _ = pipeline.matched_iou([box(0, 0)], [box(0, 0), box(0, 10)])
    assert matched == 1 and mean == 0.5


def test_load_labels(tmp_path):
    path = tmp_path / "labels.txt"
    path.write_text("cat\r\ndog\n\n\n")
    assert pipeline.load_labels(path) == ["cat", "dog"]
