"""ModelServer serves models over KServe's REST protocols (V1 predict, V2 infer and health) with the stdlib.

Nothing is written to disk, so the server runs on a read-only root filesystem.
"""
import argparse
import json
import os
import re
import signal
import sys
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

V1_PREDICT = re.compile(r"^/v1/models/([^/:]+):predict$")
V1_MODEL = re.compile(r"^/v1/models/([^/:]+)$")
V2_INFER = re.compile(r"^/v2/models/([^/]+)/infer$")
V2_READY = re.compile(r"^/v2/models/([^/]+)/ready$")
V2_MODEL = re.compile(r"^/v2/models/([^/]+)$")


class BadRequest(Exception):
    pass


def parse_args(argv=None, default_name="model"):
    """parse_args reads KServe's flags, with environment defaults (MODEL_NAME, MODEL_DIR, PORT)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--model_name", default=os.environ.get("MODEL_NAME", default_name))
    parser.add_argument("--model_dir", default=os.environ.get("MODEL_DIR", "/mnt/models"))
    parser.add_argument("--http_port", type=int, default=int(os.environ.get("PORT", "8080")))
    return parser.parse_args(argv)


def rows_from_v2(inputs):
    """rows_from_v2 turns the first V2 input tensor (flat or nested data, shape [n, k]) into rows."""
    if not inputs:
        raise BadRequest("inputs is empty")
    tensor = inputs[0]
    shape, data = tensor.get("shape"), tensor.get("data")
    if not isinstance(shape, list) or len(shape) != 2 or not isinstance(data, list):
        raise BadRequest("expected an input with shape [n, k] and data")
    flat = [x for row in data for x in row] if data and isinstance(data[0], list) else data
    n, k = shape
    if len(flat) != n * k:
        raise BadRequest("data has %d values, shape %s needs %d" % (len(flat), shape, n * k))
    return [flat[i * k:(i + 1) * k] for i in range(n)]


def datatype(values):
    return "INT64" if all(isinstance(v, int) and not isinstance(v, bool) for v in values) else "FP64"


class ModelServer:
    def __init__(self, http_port=8080):
        self.http_port = http_port
        self.models = {}

    def ready(self):
        return bool(self.models) and all(m.ready for m in self.models.values())

    def start(self, models):
        for model in models:
            self.models[model.name] = model
        server = ThreadingHTTPServer(("", self.http_port), self._handler())
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        for model in models:
            model.load()
        print("serving %s on :%d" % (", ".join(self.models), self.http_port), flush=True)
        server.serve_forever()

    def _handler(self):
        app = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def reply(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def model(self, name):
                model = app.models.get(name)
                if model is None:
                    self.reply(404, {"error": "model %s does not exist" % name})
                return model

            def do_GET(self):
                path = self.path.split("?")[0]
                if path in ("/", "/v2/health/live"):
                    return self.reply(200, {"live": True})
                if path == "/v2/health/ready":
                    return self.reply(200 if app.ready() else 503, {"ready": app.ready()})
                if path == "/v2":
                    return self.reply(200, {"name": "model-common", "version": "0.1.0", "extensions": []})
                if path == "/v1/models":
                    return self.reply(200, {"models": sorted(app.models)})
                for pattern in (V1_MODEL, V2_READY, V2_MODEL):
                    match = pattern.match(path)
                    if match:
                        model = self.model(match.group(1))
                        if model is not None:
                            self.reply(200 if model.ready else 503, {"name": model.name, "ready": model.ready})
                        return None
                return self.reply(404, {"error": "no route %s" % path})

            def do_POST(self):
                path = self.path.split("?")[0]
                try:
                    body = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)) or b"{}")
                    match = V1_PREDICT.match(path)
                    if match:
                        model = self.model(match.group(1))
                        if model is not None:
                            self.reply(200, {"predictions": model.predict(body["instances"])})
                        return None
                    match = V2_INFER.match(path)
                    if match:
                        model = self.model(match.group(1))
                        if model is not None:
                            predictions = model.predict(rows_from_v2(body.get("inputs")))
                            self.reply(200, {
                                "model_name": model.name,
                                "id": body.get("id") or str(uuid.uuid4()),
                                "outputs": [{"name": "output-0", "shape": [len(predictions)],
                                             "datatype": datatype(predictions), "data": predictions}],
                            })
                        return None
                    return self.reply(404, {"error": "no route %s" % path})
                except (BadRequest, KeyError, ValueError, TypeError) as error:
                    return self.reply(400, {"error": "%s: %s" % (type(error).__name__, error)})

        return Handler
