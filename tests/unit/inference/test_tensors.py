"""Open Inference Protocol tensors: JSON and binary request decoding, response encoding."""

import json

import numpy as np
import pytest

from hailo_inference import tensors


def request(inputs, **extra):
    return json.dumps(dict({"inputs": inputs}, **extra)).encode()


def test_decode_json_tensors():
    body = request([{"name": "x", "shape": [2, 2], "datatype": "FP32", "data": [1, 2, 3, 4]},
                    {"name": "y", "shape": [1, 2], "datatype": "UINT8", "data": [[5, 6]]}])
    parsed, inputs = tensors.decode_request(body)
    assert parsed["inputs"][0]["name"] == "x"
    assert inputs[0][0] == "x" and inputs[0][1].dtype == np.float32 and inputs[0][1].shape == (2, 2)
    assert inputs[1][1].tolist() == [[5, 6]]


def test_decode_binary_tensors():
    a = np.arange(6, dtype=np.uint8)
    b = np.array([1.5, 2.5], dtype=np.float32)
    head = request([{"name": "a", "shape": [2, 3], "datatype": "UINT8", "parameters": {"binary_data_size": 6}},
                    {"name": "b", "shape": [2], "datatype": "FP32", "parameters": {"binary_data_size": 8}}])
    _, inputs = tensors.decode_request(head + a.tobytes() + b.tobytes(), str(len(head)))
    assert inputs[0][1].tolist() == [[0, 1, 2], [3, 4, 5]] and inputs[1][1].tolist() == [1.5, 2.5]


@pytest.mark.parametrize("body, header, message", [
    (b"{not json", None, "not JSON"),
    (b"[1]", None, "JSON object"),
    (b"{}", None, "non-empty 'inputs'"),
    (request([{"shape": [1], "datatype": "FP32", "data": [1]}]), None, "needs a 'name'"),
    (request([{"name": "x", "shape": [-1], "datatype": "FP32", "data": [1]}]), None, "non-negative"),
    (request([{"name": "x", "shape": [1], "datatype": "FLOAT", "data": [1]}]), None, "unknown datatype 'FLOAT'"),
    (request([{"name": "x", "shape": [1], "datatype": "BYTES", "data": ["a"]}]), None, "BYTES is not supported"),
    (request([{"name": "x", "shape": [3], "datatype": "FP32", "data": [1, 2]}]), None, "has 2 elements"),
    (request([{"name": "x", "shape": [1], "datatype": "UINT8", "data": ["a"]}]), None, "not a list of UINT8"),
    (request([{"name": "x", "shape": [1], "datatype": "FP32"}]), None, "needs 'data'"),
    (request([{"name": "x", "shape": [2], "datatype": "FP32", "parameters": {"binary_data_size": 4}}]), "0",
     "Inference-Header-Content-Length is 0"),
    (b"{}", "abc", "must be an integer"),
])
def test_decode_errors(body, header, message):
    with pytest.raises(tensors.TensorError, match=message):
        tensors.decode_request(body, header)


def test_decode_binary_size_mismatch_and_leftovers():
    head = request([{"name": "x", "shape": [2], "datatype": "FP32", "parameters": {"binary_data_size": 4}}])
    with pytest.raises(tensors.TensorError, match="does not match shape"):
        tensors.decode_request(head + b"\0" * 4, str(len(head)))
    head = request([{"name": "x", "shape": [1], "datatype": "FP32", "parameters": {"binary_data_size": 4}}])
    with pytest.raises(tensors.TensorError, match="ends before"):
        tensors.decode_request(head + b"\0" * 2, str(len(head)))
    with pytest.raises(tensors.TensorError, match="no input claims"):
        tensors.decode_request(head + b"\0" * 6, str(len(head)))


def test_requested_outputs():
    assert tensors.requested_outputs({}, ["a", "b"]) == ["a", "b"]
    assert tensors.requested_outputs({"outputs": [{"name": "b"}]}, ["a", "b"]) == ["b"]
    with pytest.raises(tensors.TensorError, match="unknown output 'c'"):
        tensors.requested_outputs({"outputs": [{"name": "c"}]}, ["a", "b"])
    with pytest.raises(tensors.TensorError, match="must be a list"):
        tensors.requested_outputs({"outputs": "a"}, ["a"])


def test_wants_binary():
    assert tensors.wants_binary({"outputs": [{"name": "a", "parameters": {"binary_data": True}}]}, "a")
    assert not tensors.wants_binary({"outputs": [{"name": "a"}]}, "a")
    assert tensors.wants_binary({"parameters": {"binary_data_output": True}}, "a")


def test_encode_json_response():
    body, headers = tensors.encode_response("m", "1", {"id": "req-1"}, {"out": np.array([[1.5, 2.0]], np.float32)})
    assert headers == {"Content-Type": "application/json"}
    assert json.loads(body) == {"model_name": "m", "model_version": "1", "id": "req-1", "outputs": [
        {"name": "out", "datatype": "FP32", "shape": [1, 2], "data": [1.5, 2.0]}]}


def test_encode_binary_response():
    out = np.array([1, 2, 3], dtype=np.int64)
    body, headers = tensors.encode_response("m", "1", {"outputs": [{"name": "o", "parameters": {"binary_data": True}}]},
                                            {"o": out})
    length = int(headers[tensors.HEADER_LENGTH])
    head = json.loads(body[:length])
    assert head["outputs"][0] == {"name": "o", "datatype": "INT64", "shape": [3],
                                  "parameters": {"binary_data_size": 24}}
    assert np.frombuffer(body[length:], dtype=np.int64).tolist() == [1, 2, 3]


def test_datatype_of():
    assert tensors.datatype_of(np.zeros(1, np.float16)) == "FP16"
    with pytest.raises(tensors.TensorError, match="no protocol datatype"):
        tensors.datatype_of(np.zeros(1, np.complex64))
