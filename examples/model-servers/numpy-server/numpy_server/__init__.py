"""numpy_server: a linear classifier (scores = x @ W + b, label = argmax) behind model_common's REST."""
import json
import os

import numpy as np
from model_common import Model


class LinearModel(Model):
    def __init__(self, name, model_dir):
        super().__init__(name)
        self.model_dir = model_dir

    def load(self):
        with open(os.path.join(self.model_dir, "weights.json")) as f:
            weights = json.load(f)
        self.W = np.asarray(weights["W"], dtype=np.float64)
        self.b = np.asarray(weights["b"], dtype=np.float64)
        super().load()

    def predict(self, instances):
        scores = np.asarray(instances, dtype=np.float64) @ self.W + self.b
        return [int(label) for label in scores.argmax(axis=1)]
