"""Trains the examples' models from data/iris.csv (run with a Python that has numpy and scikit-learn,
e.g. Debian's /usr/bin/python3 with python3-sklearn):

  python3 train.py sklearn OUT_DIR     writes OUT_DIR/model.joblib (LogisticRegression)
  python3 train.py numpy OUT_DIR       writes OUT_DIR/weights.json (least squares on one-hot labels)
  python3 train.py predict KIND DIR    reads {"instances": [...]} on stdin, prints the predictions as JSON
"""
import csv
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SPECIES = ["setosa", "versicolor", "virginica"]


def iris():
    with open(os.path.join(HERE, "data", "iris.csv")) as f:
        rows = list(csv.DictReader(f))
    X = np.array([[float(r[k]) for k in ("sepal_length", "sepal_width", "petal_length", "petal_width")] for r in rows])
    y = np.array([SPECIES.index(r["species"]) for r in rows])
    return X, y


def train_sklearn(out):
    import joblib
    from sklearn.linear_model import LogisticRegression

    X, y = iris()
    joblib.dump(LogisticRegression(max_iter=1000).fit(X, y), os.path.join(out, "model.joblib"))


def train_numpy(out):
    X, y = iris()
    A = np.hstack([X, np.ones((len(X), 1))])
    solution, *_ = np.linalg.lstsq(A, np.eye(3)[y], rcond=None)
    with open(os.path.join(out, "weights.json"), "w") as f:
        json.dump({"W": solution[:-1].tolist(), "b": solution[-1].tolist(), "classes": SPECIES}, f)


def predict(kind, model_dir, instances):
    if kind == "sklearn":
        import joblib

        return [int(v) for v in joblib.load(os.path.join(model_dir, "model.joblib")).predict(instances)]
    with open(os.path.join(model_dir, "weights.json")) as f:
        weights = json.load(f)
    scores = np.asarray(instances, dtype=np.float64) @ np.asarray(weights["W"]) + np.asarray(weights["b"])
    return [int(v) for v in scores.argmax(axis=1)]


def main(argv):
    if argv[:1] == ["predict"]:
        print(json.dumps(predict(argv[1], argv[2], json.load(sys.stdin)["instances"])))
        return
    kind, out = argv
    os.makedirs(out, exist_ok=True)
    {"sklearn": train_sklearn, "numpy": train_numpy}[kind](out)


if __name__ == "__main__":
    main(sys.argv[1:])
