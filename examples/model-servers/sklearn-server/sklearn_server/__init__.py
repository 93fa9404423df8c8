"""sklearn_server: a scikit-learn model behind model_common's KServe-style REST."""
import os

import joblib
from model_common import Model


class SKLearnModel(Model):
    def __init__(self, name, model_dir):
        super().__init__(name)
        self.model_dir = model_dir
        self._model = None

    def load(self):
        self._model = joblib.load(os.path.join(self.model_dir, "model.joblib"))
        super().load()

    def predict(self, instances):
        return [int(label) for label in self._model.predict(instances)]
