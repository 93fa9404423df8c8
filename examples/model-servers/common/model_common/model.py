"""Model is what a server implements: load() once, then predict() on lists of feature rows."""


class Model:
    def __init__(self, name):
        self.name = name
        self.ready = False

    def load(self):
        """Reads the model artefact; sets ready. Subclasses call super().load() last."""
        self.ready = True

    def predict(self, instances):
        """Returns one prediction per instance (a list of numbers)."""
        raise NotImplementedError
