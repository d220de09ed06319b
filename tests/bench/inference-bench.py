#!/usr/bin/env python3
"""Service overhead of the inference service on the onnx backend, measured side by side in one run.

For each fixture model (generated, SIMULATED: random weights, not real networks; see MODELS) and each concurrency
(1, 4, 16 by default), the model is run two ways, alternately, for the same number of requests:

* direct: ``OnnxBackend.infer`` called from that many threads in this process (what the service itself calls);
* service: ``POST /v2/models/{model}/infer`` (Open Inference Protocol, binary tensors, keep-alive connections) from
  that many threads to ``hailo-inference serve`` running in its own process on 127.0.0.1.

Reported: p50 latency of each and the difference (the service's overhead per request), throughput of each and
their ratio, and CPU milliseconds per request (the direct calls; the server process; the HTTP clients).
Targets (docs/inference-service.md): p50 overhead <= 2 ms; throughput at concurrency 4 >= 90 % of direct calls.
The numbers are this machine's; rerun with ``make bench-inference`` or
``python tests/bench/inference-bench.py [--models null,tiny,small] [--requests N] [--concurrency 1,4,16]
[--batch-size 1] [--instances 4] [--json out.json]``.
"""

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "apps" / "hailo-inference"))

from hailo_inference import config as service_config  # noqa: E402
from hailo_inference.backends.onnx import OnnxBackend  # noqa: E402

# FIXTURE models (SIMULATED: random weights, not real networks): uint8 NHWC in, 10 or 1000 scores out.
#   null:  no convolution on 8x8x3 (microseconds per call): what is left is the service's own cost per request;
#   tiny:  3 convolutions on 160x160x3 (about 7 M multiply-adds; well under a millisecond per call here), where
#          the service's own cost per request is the largest part;
#   small: 5 convolutions on 224x224x3 (about 0.3 G multiply-adds, the compute of a MobileNetV2-sized network),
#          closer to what a node serves.
MODELS = {
    "null": {"size": 8, "channels": (), "strides": (), "classes": 10},
    "tiny": {"size": 160, "channels": (32, 64, 128), "strides": (2, 2, 2), "classes": 10},
    "small": {"size": 224, "channels": (32, 64, 128, 256, 256), "strides": (2, 2, 2, 2, 1), "classes": 1000},
}


def bench_model(path, spec):
    """Write the FIXTURE model ``spec`` (one of MODELS) as ONNX: Cast, Transpose, conv/ReLU stages, pooling, FC."""
    rng = np.random.default_rng(7)
    weights, nodes, channels, last = [], [], 3, "x"
    nodes.append(helper.make_node("Cast", ["images"], ["f"], to=TensorProto.FLOAT))
    nodes.append(helper.make_node("Transpose", ["f"], ["x"], perm=[0, 3, 1, 2]))
    for index, (out, stride) in enumerate(zip(spec["channels"], spec["strides"])):
        name = "w%d" % index
        weights.append(numpy_helper.from_array(
            (rng.standard_normal((out, channels, 3, 3)) * 0.01).astype(np.float32), name))
        nodes.append(helper.make_node("Conv", [last, name], ["c%d" % index], pads=[1, 1, 1, 1],
                                      strides=[stride, stride]))
        nodes.append(helper.make_node("Relu", ["c%d" % index], ["r%d" % index]))
        last, channels = "r%d" % index, out
    nodes.append(helper.make_node("GlobalAveragePool", [last], ["g"]))
    nodes.append(helper.make_node("Flatten", ["g"], ["flat"]))
    weights.append(numpy_helper.from_array(rng.standard_normal((channels, spec["classes"])).astype(np.float32), "fc"))
    nodes.append(helper.make_node("MatMul", ["flat", "fc"], ["scores"]))
    size = spec["size"]
    graph = helper.make_graph(
        nodes, "bench", [helper.make_tensor_value_info("images", TensorProto.UINT8, ["batch", size, size, 3])],
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["batch", spec["classes"]])], weights)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(path))


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def process_cpu(pid):
    """CPU seconds (user + system) used so far by process ``pid``, all its threads (/proc/PID/stat)."""
    with open("/proc/%d/stat" % pid) as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_threads(concurrency, total, work):
    """Run ``work()`` ``total`` times over ``concurrency`` threads; per-call seconds and the wall time."""
    latencies, lock = [], threading.Lock()
    counter = iter(range(total))

    def worker():
        state = {}
        while True:
            with lock:
                if next(counter, None) is None:
                    return
            start = time.perf_counter()
            work(state)
            elapsed = time.perf_counter() - start
            with lock:
                latencies.append(elapsed)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, time.perf_counter() - start


def start_server(work_dir, entry):
    port = free_port()
    config = work_dir / ("%s.json" % entry["name"])
    config.write_text(json.dumps({"server": {"port": port}, "models": [entry]}))
    server = subprocess.Popen([sys.executable, "-m", "hailo_inference.cli", "serve", "--config", str(config)],
                              cwd=str(ROOT / "apps" / "hailo-inference"),
                              env=dict(os.environ, PYTHONPATH=str(ROOT / "apps" / "hailo-inference")),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while True:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/v2/health/ready")
            if connection.getresponse().status == 200:
                return server, port
        except OSError:
            pass
        if time.time() > deadline or server.poll() is not None:
            server.kill()
            raise SystemExit("the service did not become ready")
        time.sleep(0.2)


def measure(name, args, work_dir):
    """The rows of one model: each concurrency, direct and through the service, alternating."""
    spec = MODELS[name]
    size = spec["size"]
    model_path = work_dir / ("%s.onnx" % name)
    bench_model(model_path, spec)
    entry = {"name": name, "task": "classification", "backend": "onnx", "onnx": str(model_path),
             "batch_size": args.batch_size, "instances": args.instances}
    server, port = start_server(work_dir, entry)
    try:
        backend = OnnxBackend(service_config.parse({"models": [entry]}).models[0])
        backend.load()
        frame = np.random.default_rng(1).integers(0, 255, (size, size, 3), dtype=np.uint8)
        raw = frame.tobytes()
        head = json.dumps({"inputs": [{"name": "images", "shape": [1, size, size, 3], "datatype": "UINT8",
                                       "parameters": {"binary_data_size": len(raw)}}],
                           "outputs": [{"name": "scores", "parameters": {"binary_data": True}}]}).encode()
        body = head + raw
        headers = {"Inference-Header-Content-Length": str(len(head)), "Content-Type": "application/octet-stream"}
        path = "/v2/models/%s/infer" % name

        def direct(_state):
            backend.infer([{"images": frame}])

        def service(state):
            if "connection" not in state:
                state["connection"] = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            state["connection"].request("POST", path, body, headers)
            response = state["connection"].getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError("HTTP %d" % response.status)

        for way in (direct, service):  # warm up both
            run_threads(4, 40, way)
        results = []
        for concurrency in args.levels:
            measured = {"direct": ([], 0.0), "service": ([], 0.0)}
            # CPU seconds: this process (the direct calls, or the HTTP clients) and the server process.
            cpu = {"direct": 0.0, "client": 0.0, "server": 0.0}
            for _ in range(args.rounds):
                for way_name, way in (("direct", direct), ("service", service)):
                    own, served = time.process_time(), process_cpu(server.pid)
                    latencies, wall = run_threads(concurrency, args.requests // args.rounds, way)
                    own, served = time.process_time() - own, process_cpu(server.pid) - served
                    measured[way_name] = (measured[way_name][0] + latencies, measured[way_name][1] + wall)
                    if way_name == "direct":
                        cpu["direct"] += own
                    else:
                        cpu["client"] += own
                        cpu["server"] += served
            row = {"model": name, "concurrency": concurrency}
            for way_name, (latencies, wall) in measured.items():
                row[way_name] = {"p50_ms": round(statistics.median(latencies) * 1000, 3),
                                 "throughput": round(len(latencies) / wall, 1)}
            count = len(measured["direct"][0])
            row["cpu_ms_per_request"] = {key: round(value * 1000 / count, 3) for key, value in cpu.items()}
            row["p50_overhead_ms"] = round(row["service"]["p50_ms"] - row["direct"]["p50_ms"], 3)
            row["throughput_ratio"] = round(row["service"]["throughput"] / row["direct"]["throughput"], 3)
            results.append(row)
        return results
    finally:
        server.terminate()
        server.wait(10)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=400, help="requests per way and concurrency")
    parser.add_argument("--concurrency", default="1,4,16")
    parser.add_argument("--models", default="null,tiny,small", help="of: %s" % ", ".join(MODELS))
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds of each way")
    # On a CPU backend, batches do not pay (a batch of 4 costs about 4 single calls, and requests wait for each other);
    # runs in parallel do: docs/inference-service.md.
    parser.add_argument("--batch-size", type=int, default=1, help="the served model's batch_size")
    parser.add_argument("--instances", type=int, default=4, help="the served model's instances")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    args.levels = [int(c) for c in args.concurrency.split(",")]
    names = args.models.split(",")
    unknown = sorted(set(names) - set(MODELS))
    if unknown:
        parser.error("unknown model(s) %s; known: %s" % (", ".join(unknown), ", ".join(MODELS)))
    work_dir = Path(tempfile.mkdtemp(prefix="inference-bench."))
    results = []
    for name in names:
        results.extend(measure(name, args, work_dir))

    print("Inference service overhead, onnx backend, FIXTURE models (SIMULATED, random weights), %d requests per "
          "way and concurrency, batch_size %d, instances %d, %d CPUs" % (
              args.requests, args.batch_size, args.instances, os.cpu_count()))
    print("%-6s %-5s %14s %15s %12s %13s %14s %7s %11s %11s %11s" % (
        "model", "conc.", "direct p50 ms", "service p50 ms", "overhead ms", "direct req/s", "service req/s", "ratio",
        "direct cpu", "server cpu", "client cpu"))
    for row in results:
        cpu = row["cpu_ms_per_request"]
        print("%-6s %-5d %14.3f %15.3f %12.3f %13.1f %14.1f %7.3f %11.3f %11.3f %11.3f" % (
            row["model"], row["concurrency"], row["direct"]["p50_ms"], row["service"]["p50_ms"],
            row["p50_overhead_ms"], row["direct"]["throughput"], row["service"]["throughput"],
            row["throughput_ratio"], cpu["direct"], cpu["server"], cpu["client"]))
    print("cpu: CPU milliseconds per request (user + system, all threads): the direct calls; the service process; "
          "the HTTP clients")
    verdict = {}
    for name in names:
        rows = [row for row in results if row["model"] == name]
        verdict[name] = {
            "p50_overhead_le_2ms": all(row["p50_overhead_ms"] <= 2.0 for row in rows),
            "throughput_c4_ge_90pct": all(row["throughput_ratio"] >= 0.9 for row in rows if row["concurrency"] == 4),
        }
        print("targets, %s model: p50 overhead <= 2 ms at every concurrency: %s; throughput at concurrency 4 >= 90%% "
              "of direct: %s" % (name, verdict[name]["p50_overhead_le_2ms"], verdict[name]["throughput_c4_ge_90pct"]))
    if args.json:
        Path(args.json).write_text(json.dumps({"results": results, "targets": verdict}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
