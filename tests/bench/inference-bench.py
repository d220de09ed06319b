#!/usr/bin/env python3
"""Service overhead of the inference service on the onnx backend, measured side by side in one run.

For each concurrency (1, 4, 16 by default) the same fixture model (a small generated CNN, SIMULATED: not a real
network) is run two ways, alternately, for the same number of requests:

* direct: ``OnnxBackend.infer`` called from that many threads in this process (what the service itself calls);
* service: ``POST /v2/models/bench/infer`` (Open Inference Protocol, binary tensors, keep-alive connections) from
  that many threads to ``hailo-inference serve`` running in its own process on 127.0.0.1.

Reported: p50 latency of each and the difference (the service's overhead per request), and throughput of each and
their ratio. Targets (docs/inference-service.md): p50 overhead <= 2 ms; throughput at concurrency 4 >= 90 % of
direct calls. The numbers are this machine's; rerun with ``make bench-inference`` or
``python tests/bench/inference-bench.py [--requests N] [--concurrency 1,4,16] [--json out.json]``.
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

SIZE = 160


def bench_model(path):
    """FIXTURE: uint8 [N, 96, 96, 3] -> float [N, 10] through three 3x3 convolutions (a few ms on a CPU)."""
    rng = np.random.default_rng(7)
    weights, nodes, channels, last = [], [], 3, "x"
    nodes.append(helper.make_node("Cast", ["images"], ["f"], to=TensorProto.FLOAT))
    nodes.append(helper.make_node("Transpose", ["f"], ["x"], perm=[0, 3, 1, 2]))
    for index, out in enumerate((32, 64, 128)):
        name = "w%d" % index
        weights.append(numpy_helper.from_array(
            (rng.standard_normal((out, channels, 3, 3)) * 0.01).astype(np.float32), name))
        nodes.append(helper.make_node("Conv", [last, name], ["c%d" % index], pads=[1, 1, 1, 1], strides=[2, 2]))
        nodes.append(helper.make_node("Relu", ["c%d" % index], ["r%d" % index]))
        last, channels = "r%d" % index, out
    nodes.append(helper.make_node("GlobalAveragePool", [last], ["g"]))
    nodes.append(helper.make_node("Flatten", ["g"], ["flat"]))
    weights.append(numpy_helper.from_array(rng.standard_normal((channels, 10)).astype(np.float32), "fc"))
    nodes.append(helper.make_node("MatMul", ["flat", "fc"], ["scores"]))
    graph = helper.make_graph(
        nodes, "bench", [helper.make_tensor_value_info("images", TensorProto.UINT8, ["batch", SIZE, SIZE, 3])],
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["batch", 10])], weights)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(path))


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=400, help="requests per way and concurrency")
    parser.add_argument("--concurrency", default="1,4,16")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds of each way")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    levels = [int(c) for c in args.concurrency.split(",")]
    work_dir = Path(tempfile.mkdtemp(prefix="inference-bench."))
    model_path = work_dir / "bench.onnx"
    bench_model(model_path)
    port = free_port()
    entry = {"name": "bench", "task": "classification", "backend": "onnx", "onnx": str(model_path),
             "batch_size": 4}
    (work_dir / "config.json").write_text(json.dumps({"server": {"port": port}, "models": [entry]}))
    server = subprocess.Popen([sys.executable, "-m", "hailo_inference.cli", "serve", "--config",
                               str(work_dir / "config.json")], cwd=str(ROOT / "apps" / "hailo-inference"),
                              env=dict(os.environ, PYTHONPATH=str(ROOT / "apps" / "hailo-inference")),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/v2/health/ready")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                pass
            if time.time() > deadline:
                raise SystemExit("the service did not become ready")
            time.sleep(0.2)

        backend = OnnxBackend(service_config.parse({"models": [entry]}).models[0])
        backend.load()
        frame = np.random.default_rng(1).integers(0, 255, (SIZE, SIZE, 3), dtype=np.uint8)
        raw = frame.tobytes()
        head = json.dumps({"inputs": [{"name": "images", "shape": [1, SIZE, SIZE, 3], "datatype": "UINT8",
                                       "parameters": {"binary_data_size": len(raw)}}],
                           "outputs": [{"name": "scores", "parameters": {"binary_data": True}}]}).encode()
        body = head + raw
        headers = {"Inference-Header-Content-Length": str(len(head)), "Content-Type": "application/octet-stream"}

        def direct(_state):
            backend.infer([{"images": frame}])

        def service(state):
            if "connection" not in state:
                state["connection"] = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            state["connection"].request("POST", "/v2/models/bench/infer", body, headers)
            response = state["connection"].getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError("HTTP %d" % response.status)

        for way in (direct, service):  # warm up both
            run_threads(4, 50, way)
        results = []
        for concurrency in levels:
            measured = {"direct": ([], 0.0), "service": ([], 0.0)}
            for _ in range(args.rounds):
                for name, way in (("direct", direct), ("service", service)):
                    latencies, wall = run_threads(concurrency, args.requests // args.rounds, way)
                    measured[name] = (measured[name][0] + latencies, measured[name][1] + wall)
            row = {"concurrency": concurrency}
            for name, (latencies, wall) in measured.items():
                row[name] = {"p50_ms": round(statistics.median(latencies) * 1000, 3),
                             "throughput": round(len(latencies) / wall, 1)}
            row["p50_overhead_ms"] = round(row["service"]["p50_ms"] - row["direct"]["p50_ms"], 3)
            row["throughput_ratio"] = round(row["service"]["throughput"] / row["direct"]["throughput"], 3)
            results.append(row)
    finally:
        server.terminate()
        server.wait(10)

    print("Inference service overhead, onnx backend, fixture CNN uint8 %dx%dx3 (SIMULATED model), %d requests per "
          "way and concurrency, %d CPUs" % (SIZE, SIZE, args.requests, os.cpu_count()))
    print("%-12s %14s %15s %14s %15s %16s %14s" % ("concurrency", "direct p50 ms", "service p50 ms", "overhead ms",
                                                  "direct req/s", "service req/s", "ratio"))
    for row in results:
        print("%-12d %14.3f %15.3f %14.3f %15.1f %16.1f %14.3f" % (
            row["concurrency"], row["direct"]["p50_ms"], row["service"]["p50_ms"], row["p50_overhead_ms"],
            row["direct"]["throughput"], row["service"]["throughput"], row["throughput_ratio"]))
    verdict = {
        "p50_overhead_le_2ms": all(row["p50_overhead_ms"] <= 2.0 for row in results),
        "throughput_c4_ge_90pct": all(row["throughput_ratio"] >= 0.9 for row in results if row["concurrency"] == 4),
    }
    print("targets: p50 overhead <= 2 ms at every concurrency: %s; throughput at concurrency 4 >= 90%% of direct: %s"
          % (verdict["p50_overhead_le_2ms"], verdict["throughput_c4_ge_90pct"]))
    if args.json:
        Path(args.json).write_text(json.dumps({"results": results, "targets": verdict}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
