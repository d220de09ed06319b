"""Open Inference Protocol (KServe v2) tensors: JSON and binary (Triton's binary tensor data extension).

A request is a JSON object, optionally followed by raw tensor bytes when the ``Inference-Header-Content-Length``
header gives the JSON part's length; each binary input says its byte size in ``parameters.binary_data_size``.
Responses are JSON, or JSON followed by raw bytes for the outputs a request asks for with ``binary_data``.
"""

from __future__ import annotations

import json

import numpy as np

HEADER_LENGTH = "Inference-Header-Content-Length"

DATATYPES = {
    "BOOL": np.bool_, "UINT8": np.uint8, "UINT16": np.uint16, "UINT32": np.uint32, "UINT64": np.uint64,
    "INT8": np.int8, "INT16": np.int16, "INT32": np.int32, "INT64": np.int64,
    "FP16": np.float16, "FP32": np.float32, "FP64": np.float64,
}
_BY_DTYPE = {np.dtype(v): k for k, v in DATATYPES.items()}


class TensorError(ValueError):
    """A request whose tensors do not follow the protocol or do not fit the model (HTTP 400)."""


def datatype_of(array):
    """The protocol's datatype name for a numpy array."""
    try:
        return _BY_DTYPE[np.asarray(array).dtype]
    except KeyError as exc:
        raise TensorError("numpy dtype %s has no protocol datatype" % np.asarray(array).dtype) from exc


def _shape(value, where):
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0
                                              for v in value):
        raise TensorError("%s: 'shape' must be a list of non-negative integers, got %r" % (where, value))
    return value


def decode_request(body, header_length=None):
    """``(request, inputs)`` from an infer request body: the JSON object and ``[(name, ndarray)]`` in order."""
    if header_length is not None:
        try:
            length = int(header_length)
        except ValueError as exc:
            raise TensorError("%s must be an integer, got %r" % (HEADER_LENGTH, header_length)) from exc
        if not 0 < length <= len(body):
            raise TensorError("%s is %d but the body has %d bytes" % (HEADER_LENGTH, length, len(body)))
        head, binary = body[:length], memoryview(body)[length:]
    else:
        head, binary = body, memoryview(b"")
    try:
        request = json.loads(head)
    except (ValueError, UnicodeDecodeError) as exc:
        raise TensorError("the request is not JSON: %s" % exc) from exc
    if not isinstance(request, dict):
        raise TensorError("the request must be a JSON object")
    items = request.get("inputs")
    if not isinstance(items, list) or not items:
        raise TensorError("the request needs a non-empty 'inputs' list")
    inputs, offset = [], 0
    for index, item in enumerate(items):
        where = "inputs[%d]" % index
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise TensorError("%s: each input needs a 'name'" % where)
        where = "input %r" % item["name"]
        shape = _shape(item.get("shape"), where)
        datatype = item.get("datatype")
        if datatype == "BYTES":
            raise TensorError("%s: datatype BYTES is not supported by this server's models" % where)
        if datatype not in DATATYPES:
            raise TensorError("%s: unknown datatype %r; the protocol's are %s" % (
                where, datatype, ", ".join(sorted(DATATYPES) + ["BYTES"])))
        dtype = np.dtype(DATATYPES[datatype])
        count = int(np.prod(shape)) if shape else 1
        size = (item.get("parameters") or {}).get("binary_data_size")
        if size is not None:
            if not isinstance(size, int) or size != count * dtype.itemsize:
                raise TensorError("%s: binary_data_size %r does not match shape %s of %s (%d bytes)" % (
                    where, size, shape, datatype, count * dtype.itemsize))
            if offset + size > len(binary):
                raise TensorError("%s: the body ends before its %d bytes of binary data" % (where, size))
            array = np.frombuffer(binary[offset:offset + size], dtype=dtype).reshape(shape)
            offset += size
        else:
            if "data" not in item:
                raise TensorError("%s: needs 'data' or parameters.binary_data_size" % where)
            try:
                array = np.asarray(item["data"], dtype=dtype)
            except (TypeError, ValueError, OverflowError) as exc:
                raise TensorError("%s: data is not a list of %s values: %s" % (where, datatype, exc)) from exc
            if array.size != count:
                raise TensorError("%s: data has %d elements, shape %s needs %d" % (where, array.size, shape, count))
            array = array.reshape(shape)
        inputs.append((item["name"], array))
    if offset != len(binary):
        raise TensorError("the body has %d bytes of binary data that no input claims" % (len(binary) - offset))
    return request, inputs


def wants_binary(request, name):
    """Whether the request asks for output ``name`` as binary data."""
    for item in request.get("outputs") or []:
        if isinstance(item, dict) and item.get("name") == name:
            return bool((item.get("parameters") or {}).get("binary_data", False))
    return bool((request.get("parameters") or {}).get("binary_data_output", False))


def requested_outputs(request, available):
    """Names of the outputs to return: those the request lists (each must exist), else all of them."""
    items = request.get("outputs")
    if not items:
        return list(available)
    if not isinstance(items, list):
        raise TensorError("'outputs' must be a list")
    names = []
    for item in items:
        name = item.get("name") if isinstance(item, dict) else None
        if name not in available:
            raise TensorError("unknown output %r; the model's outputs are %s" % (name, ", ".join(available)))
        names.append(name)
    return names


def encode_response(model_name, model_version, request, outputs):
    """``(body, headers)`` of an infer response for ``outputs`` (``{name: ndarray}`` in order)."""
    response = {"model_name": model_name, "model_version": model_version, "outputs": []}
    if isinstance(request.get("id"), str):
        response["id"] = request["id"]
    chunks = []
    for name, array in outputs.items():
        array = np.ascontiguousarray(array)
        entry = {"name": name, "datatype": datatype_of(array), "shape": list(array.shape)}
        if wants_binary(request, name):
            raw = array.tobytes()
            entry["parameters"] = {"binary_data_size": len(raw)}
            chunks.append(raw)
        else:
            entry["data"] = array.reshape(-1).tolist()
        response["outputs"].append(entry)
    head = json.dumps(response, separators=(",", ":")).encode()
    if not chunks:
        return head, {"Content-Type": "application/json"}
    return head + b"".join(chunks), {"Content-Type": "application/octet-stream", HEADER_LENGTH: str(len(head))}
