"""Entry point: sklearn-server [--model_name NAME] [--model_dir DIR] [--http_port PORT]."""
from model_common import ModelServer, parse_args
from sklearn_server import SKLearnModel


def main():
    args = parse_args(default_name="iris")
    ModelServer(args.http_port).start([SKLearnModel(args.model_name, args.model_dir)])


if __name__ == "__main__":
    main()
