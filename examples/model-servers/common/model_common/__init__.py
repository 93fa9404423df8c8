"""model_common: the serving half every example model server shares (a small KServe look-alike)."""
from model_common.model import Model
from model_common.server import ModelServer, parse_args

__all__ = ["Model", "ModelServer", "parse_args"]
__version__ = "0.1.0"
