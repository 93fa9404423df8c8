"""Entry point: numpy-server [--model_name NAME] [--model_dir DIR] [--http_port PORT]."""
from model_common import ModelServer, parse_args
from numpy_server import LinearModel


def main():
    args = parse_args(default_name="iris")
    ModelServer(args.http_port).start([LinearModel(args.model_name, args.model_dir)])


if __name__ == "__main__":
    main()
