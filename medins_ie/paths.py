"""Where the packaged default model lives (installed wheel or source checkout)."""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent


def default_model_dir() -> Path:
    """Folder of the default rule model: ``medins_ie/models/default`` when installed, ``models/default`` in a checkout."""
    for candidate in (_HERE / "models" / "default", _HERE.parent / "models" / "default"):
        if (candidate / "taxonomy.json").is_file():
            return candidate
    raise FileNotFoundError("medins_ie: the default model folder is missing from this installation")
