"""Command line: ``hailo-inference serve|check|compare``.

* ``serve --config FILE``: run the service (under systemd, see the collection's ``inference`` role).
* ``check --config FILE``: check the configuration and every model file, then exit (0 good, 2 bad).
* ``compare --config FILE --model NAME IMAGE...``: run images through the model's configured backend and through
  its ONNX reference, and report top-1 agreement (classification) or the mean IoU of matched boxes (detection) as
  JSON -- how much quantisation changed the answers.

The token of ``server.token_file`` is read from systemd's credential directory when the path is relative
(``LoadCredential=``), so the unprivileged service never needs to read a root-owned file itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys

from hailo_inference import __version__, pipeline
from hailo_inference.config import ConfigError, load, read_token


def _token(config):
    path = config.server.token_file
    if not path:
        return None
    if not os.path.isabs(path):
        directory = os.environ.get("CREDENTIALS_DIRECTORY")
        if not directory:
            raise ConfigError("server.token_file %r is relative, which names a systemd credential, but "
                              "CREDENTIALS_DIRECTORY is not set" % path)
        path = os.path.join(directory, path)
    return read_token(path)


def serve(args):
    from aiohttp import web

    from hailo_inference.server import Service
    config = load(args.config)
    service = Service(config, token=_token(config))
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    # One journal line per request only when asked (server.access_log); /metrics counts requests either way.
    access_log = {"access_log_format": '%a "%r" %s %b %Tfs'} if config.server.access_log else {"access_log": None}
    web.run_app(service.app(), host=config.server.host, port=config.server.port, print=None,
                loop=event_loop(), **access_log)
    return 0


def event_loop():
    """uvloop's event loop when it is installed (Debian: python3-uvloop), else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def check(args):
    from hailo_inference.backends import BackendUnavailable, create
    config = load(args.config)
    _token(config)
    problems = []
    for model in config.models:
        backend = create(model)
        try:
            backend.load()
        except BackendUnavailable as exc:
            problems.append("%s: %s" % (model.name, exc))
        finally:
            backend.close()
    print(json.dumps({"models": [m.name for m in config.models], "problems": problems}))
    return 2 if problems else 0


def compare(args):
    from hailo_inference.backends import create, reference
    from hailo_inference.models import Model
    config = load(args.config)
    chosen = [m for m in config.models if m.name == args.model]
    if not chosen:
        raise ConfigError("no model %r in %s" % (args.model, args.config))
    model_config = chosen[0]
    served = create(model_config)
    ref = reference(model_config)
    served.load()
    ref.load()
    try:
        results = {"served": [], "reference": []}
        reference_config = ref.config
        if model_config.task == "detection":
            reference_config = _as_yolov8(reference_config)
        for key, backend, cfg in (("served", served, model_config), ("reference", ref, reference_config)):
            helper = Model(cfg, backend)
            helper.load_labels()
            for path in args.images:
                with open(path, "rb") as handle:
                    image = pipeline.decode_image(handle.read())
                item, transform = helper.prepare(image)
                results[key].append(helper.postprocess(backend.infer([item])[0], transform))
    finally:
        served.close()
        ref.close()
    report = {"model": model_config.name, "task": model_config.task, "backend": model_config.backend,
              "images": len(args.images)}
    if model_config.task == "classification":
        report["top1_agreement"] = pipeline.top1_agreement([r["classes"] for r in results["reference"]],
                                                           [r["classes"] for r in results["served"]])
    else:
        matches = [pipeline.matched_iou(r["detections"], s["detections"])
                   for r, s in zip(results["reference"], results["served"])]
        report["mean_iou"] = sum(m[0] for m in matches) / len(matches)
        report["boxes"] = {"reference": sum(m[2] for m in matches), "served": sum(m[3] for m in matches),
                           "matched": sum(m[1] for m in matches)}
    print(json.dumps(report))
    return 0


def _as_yolov8(model_config):
    from dataclasses import replace
    return replace(model_config, backend="onnx", postprocess=replace(model_config.postprocess, decoder="yolov8"))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="hailo-inference", description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, function in (("serve", serve), ("check", check), ("compare", compare)):
        command = commands.add_parser(name)
        command.add_argument("--config", required=True)
        command.set_defaults(function=function)
        if name == "compare":
            command.add_argument("--model", required=True)
            command.add_argument("images", nargs="+")
    args = parser.parse_args(argv)
    try:
        return args.function(args)
    except (ConfigError, OSError, ValueError) as exc:
        print("hailo-inference: %s" % exc, file=sys.stderr)
        return 2
    except Exception as exc:  # pylint: disable=broad-except  # BackendUnavailable and the like: one line
        print("hailo-inference: %s" % exc, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
