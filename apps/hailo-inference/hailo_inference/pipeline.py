"""Pre- and post-processing: pure functions on bytes and numpy arrays, shared by every backend.

Images are decoded by Pillow (JPEG and PNG only), brought to the model's colour order, size and number format, and
results are mapped back to the original image's pixel coordinates.

Detection results use HailoRT's NMS-by-class format (``HAILO_NMS_BY_CLASS``), as the Python binding of HailoRT 4.x
defines it (``HailoRTTransformUtils.output_raw_buffer_to_nms_format_single_frame``): the raw float32 output of one
frame is, for each class in turn, the number of boxes of that class followed by that many boxes of five values
``y_min, x_min, y_max, x_max, score``, coordinates normalised to the network's input (0..1). The ONNX reference
of a YOLOv8 model computes the same structure on the CPU (:func:`yolov8_nms_by_class`), so that one
post-processing serves both backends.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, UnidentifiedImageError

BBOX_PARAMS = 5
LETTERBOX_FILL = (114, 114, 114)
ACCEPTED_FORMATS = ("JPEG", "PNG")


class ImageError(ValueError):
    """A request body that is not a usable JPEG or PNG image."""


@dataclass(frozen=True)
class Transform:
    """How an image of ``width`` x ``height`` was mapped onto the network's input: input = original * scale + pad."""

    width: int
    height: int
    scale_x: float
    scale_y: float
    pad_x: float
    pad_y: float


def decode_image(data, max_pixels=40_000_000):
    """The RGB :class:`PIL.Image.Image` in ``data`` (JPEG or PNG bytes); :class:`ImageError` for anything else."""
    if not data:
        raise ImageError("the request body is empty; send a JPEG or PNG image")
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in ACCEPTED_FORMATS:
                raise ImageError("%s images are not accepted; send a JPEG or PNG image" % image.format)
            if image.width * image.height > max_pixels:
                raise ImageError("the image has %d x %d pixels, more than the limit of %d" % (
                    image.width, image.height, max_pixels))
            image.load()
            return image.convert("RGB")
    except UnidentifiedImageError as exc:
        raise ImageError("the request body is not a JPEG or PNG image") from exc
    except Image.DecompressionBombError as exc:
        raise ImageError("the image is too large to decode: %s" % exc) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, ImageError):
            raise
        raise ImageError("the image is truncated or corrupt: %s" % exc) from exc


def resize(image, width, height, mode="stretch"):
    """``image`` resized to ``width`` x ``height`` as an HxWx3 uint8 array, and the :class:`Transform` used.

    ``stretch`` scales each axis on its own; ``letterbox`` keeps the aspect ratio and pads the rest with grey
    (114), centred, as YOLO models are trained."""
    src_w, src_h = image.size
    if mode == "stretch":
        resized = image.resize((width, height), Image.BILINEAR) if (src_w, src_h) != (width, height) else image
        return np.asarray(resized, dtype=np.uint8), Transform(src_w, src_h, width / src_w, height / src_h, 0.0, 0.0)
    if mode != "letterbox":
        raise ValueError("unknown resize mode %r" % mode)
    scale = min(width / src_w, height / src_h)
    new_w, new_h = max(1, round(src_w * scale)), max(1, round(src_h * scale))
    pad_x, pad_y = (width - new_w) // 2, (height - new_h) // 2
    canvas = Image.new("RGB", (width, height), LETTERBOX_FILL)
    canvas.paste(image.resize((new_w, new_h), Image.BILINEAR) if (new_w, new_h) != (src_w, src_h) else image,
                 (pad_x, pad_y))
    return (np.asarray(canvas, dtype=np.uint8),
            Transform(src_w, src_h, new_w / src_w, new_h / src_h, float(pad_x), float(pad_y)))


def to_model_input(rgb, preprocess):
    """The network's input tensor (no batch axis) from an HxWx3 uint8 RGB array.

    uint8 inputs (a quantised HEF normalises on the device) are passed as they are; float32 inputs are normalised
    as ``(pixel - mean) / std`` per channel, in the model's colour order."""
    array = rgb[..., ::-1] if preprocess.colour == "bgr" else rgb
    if preprocess.dtype == "float32":
        mean = np.asarray(preprocess.mean, dtype=np.float32)
        std = np.asarray(preprocess.std, dtype=np.float32)
        if preprocess.colour == "bgr":
            mean, std = mean[::-1], std[::-1]
        array = (array.astype(np.float32) - mean) / std
    else:
        array = array.astype(np.uint8, copy=False)
    if preprocess.layout == "nchw":
        array = array.transpose(2, 0, 1)
    return np.ascontiguousarray(array)


def input_size(shape, layout):
    """(height, width) of an image input of ``shape`` (with or without a batch axis) in ``layout``."""
    dims = list(shape)[-3:]
    if len(dims) != 3:
        raise ValueError("an image input needs three dimensions, the model's has shape %s" % (list(shape),))
    height, width = (dims[1], dims[2]) if layout == "nchw" else (dims[0], dims[1])
    if not all(isinstance(v, int) and v > 0 for v in (height, width)):
        raise ValueError("the model's input shape %s has no fixed height and width" % (list(shape),))
    return height, width


def softmax(values):
    """Softmax of a 1-D array (numerically stable)."""
    shifted = np.asarray(values, dtype=np.float64) - np.max(values)
    exp = np.exp(shifted)
    return exp / exp.sum()


def classify(scores, labels, top_k=5, apply_softmax=False, label_offset=0):
    """The ``top_k`` classes of a score vector: ``[{'index', 'label', 'score'}]``, best first.

    ``label_offset`` skips leading classes that have no label (1 for a 1001-class network with background)."""
    flat = np.asarray(scores, dtype=np.float64).reshape(-1)
    if apply_softmax:
        flat = softmax(flat)
    flat = flat[label_offset:]
    order = np.argsort(-flat, kind="stable")[:top_k]
    return [{"index": int(i), "label": label_for(labels, int(i)), "score": round(float(flat[i]), 6)} for i in order]


def label_for(labels, index):
    """Label of class ``index``, or ``class_<index>`` when there is none."""
    return labels[index] if labels and 0 <= index < len(labels) else "class_%d" % index


def nms_by_class_from_raw(buffer, number_of_classes):
    """HailoRT's raw NMS-by-class frame (flat float32) as one (n, 5) array per class.

    Raises ValueError when the buffer is shorter than its own counts say (a corrupt or mismatched output)."""
    flat = np.asarray(buffer, dtype=np.float32).reshape(-1)
    offset, classes = 0, []
    for class_id in range(number_of_classes):
        if offset >= flat.size:
            raise ValueError("NMS output ends before class %d of %d" % (class_id, number_of_classes))
        count = int(flat[offset])
        offset += 1
        end = offset + count * BBOX_PARAMS
        if count < 0 or end > flat.size:
            raise ValueError("NMS output of class %d claims %d boxes, more than the buffer holds" % (class_id, count))
        classes.append(flat[offset:end].reshape(count, BBOX_PARAMS))
        offset = end
    return classes


def nms_by_class_to_raw(per_class, max_bboxes_per_class):
    """The inverse of :func:`nms_by_class_from_raw`, padded to HailoRT's buffer size for ``max_bboxes_per_class``."""
    size = len(per_class) * (1 + BBOX_PARAMS * max_bboxes_per_class)
    out = np.zeros(size, dtype=np.float32)
    offset = 0
    for boxes in per_class:
        boxes = np.asarray(boxes, dtype=np.float32).reshape(-1, BBOX_PARAMS)[:max_bboxes_per_class]
        out[offset] = len(boxes)
        out[offset + 1:offset + 1 + boxes.size] = boxes.reshape(-1)
        offset += 1 + boxes.size
    return out


def detections(per_class, labels, transform, input_width, input_height, score_threshold=0.3, max_detections=100):
    """Boxes in the original image's pixels from NMS-by-class arrays (coordinates normalised to the input).

    Returns ``[{'class_id', 'label', 'score', 'box': {'x_min', 'y_min', 'x_max', 'y_max'}}]``, best score first,
    clipped to the image."""
    found = []
    for class_id, boxes in enumerate(per_class):
        for y_min, x_min, y_max, x_max, score in np.asarray(boxes, dtype=np.float64).reshape(-1, BBOX_PARAMS):
            if score < score_threshold:
                continue
            x0, x1 = ((v * input_width - transform.pad_x) / transform.scale_x for v in (x_min, x_max))
            y0, y1 = ((v * input_height - transform.pad_y) / transform.scale_y for v in (y_min, y_max))
            box = {
                "x_min": round(float(np.clip(x0, 0, transform.width)), 2),
                "y_min": round(float(np.clip(y0, 0, transform.height)), 2),
                "x_max": round(float(np.clip(x1, 0, transform.width)), 2),
                "y_max": round(float(np.clip(y1, 0, transform.height)), 2),
            }
            found.append({"class_id": class_id, "label": label_for(labels, class_id), "score": round(float(score), 6),
                          "box": box})
    found.sort(key=lambda item: -item["score"])
    return found[:max_detections]


def iou(a, b):
    """Intersection over union of two boxes given as (x_min, y_min, x_max, y_max)."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _nms(boxes, scores, iou_threshold, limit):
    """Indices kept by greedy non-maximum suppression (boxes as x_min, y_min, x_max, y_max)."""
    order = np.argsort(-scores, kind="stable")
    keep = []
    while order.size and len(keep) < limit:
        best, rest = order[0], order[1:]
        keep.append(int(best))
        x0 = np.maximum(boxes[best, 0], boxes[rest, 0])
        y0 = np.maximum(boxes[best, 1], boxes[rest, 1])
        x1 = np.minimum(boxes[best, 2], boxes[rest, 2])
        y1 = np.minimum(boxes[best, 3], boxes[rest, 3])
        inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
        area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
        union = area[best] + area[rest] - inter
        overlap = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
        order = rest[overlap <= iou_threshold]
    return keep


def yolov8_nms_by_class(output, input_width, input_height, score_threshold=0.3, iou_threshold=0.45,
                        max_bboxes_per_class=100):
    """NMS-by-class arrays from a YOLOv8 head's raw output (the ONNX model's ``(1, 4 + classes, anchors)``).

    Each anchor holds a box centre and size in input pixels and one score per class; boxes of each class above
    ``score_threshold`` are suppressed greedily at ``iou_threshold``, as the device's NMS does for a HEF."""
    raw = np.asarray(output, dtype=np.float32)
    if raw.ndim == 3:
        raw = raw[0]
    if raw.ndim != 2 or raw.shape[0] <= 4:
        raise ValueError("a YOLOv8 output has shape (4 + classes, anchors), got %s" % (list(np.shape(output)),))
    cx, cy, w, h = raw[0], raw[1], raw[2], raw[3]
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    per_class = []
    for scores in raw[4:]:
        selected = np.nonzero(scores >= score_threshold)[0]
        keep = selected[_nms(boxes[selected], scores[selected], iou_threshold, max_bboxes_per_class)]
        chosen = boxes[keep]
        per_class.append(np.stack([
            chosen[:, 1] / input_height, chosen[:, 0] / input_width,
            chosen[:, 3] / input_height, chosen[:, 2] / input_width, scores[keep]], axis=1).astype(np.float32)
            if keep.size else np.empty((0, BBOX_PARAMS), dtype=np.float32))
    return per_class


def top1_agreement(reference, other):
    """Fraction of images whose best class agrees between two lists of :func:`classify` results."""
    if len(reference) != len(other) or not reference:
        raise ValueError("top-1 agreement needs two equally long, non-empty result lists")
    same = sum(1 for ref, oth in zip(reference, other) if ref and oth and ref[0]["index"] == oth[0]["index"])
    return same / len(reference)


def matched_iou(reference, other, min_iou=0.5):
    """Mean IoU of boxes matched greedily between two :func:`detections` lists (same class, IoU >= ``min_iou``).

    Returns ``(mean_iou, matched, reference_count, other_count)``; unmatched boxes count as IoU 0 in the mean over
    the larger list, so that missing and extra boxes both lower it. Two empty lists agree completely (1.0)."""
    def as_tuple(item):
        box = item["box"]
        return (box["x_min"], box["y_min"], box["x_max"], box["y_max"])

    total = max(len(reference), len(other))
    if total == 0:
        return 1.0, 0, 0, 0
    used, ious = set(), []
    for ref in reference:
        best, best_iou = None, min_iou
        for index, oth in enumerate(other):
            if index in used or oth["class_id"] != ref["class_id"]:
                continue
            value = iou(as_tuple(ref), as_tuple(oth))
            if value >= best_iou:
                best, best_iou = index, value
        if best is not None:
            used.add(best)
            ious.append(best_iou)
    return sum(ious) / total, len(ious), len(reference), len(other)


def load_labels(path):
    """Labels from a text file, one per line (blank lines ignored at the end only)."""
    with open(path, encoding="utf-8") as handle:
        labels = [line.rstrip("\r\n") for line in handle]
    while labels and not labels[-1].strip():
        labels.pop()
    return labels
