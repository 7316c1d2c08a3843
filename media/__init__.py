"""Photos and videos of reports: tus uploads, checks by decoding, derivatives, evidence originals.

A library: the app wires it in (`MediaService`) and it never imports the app.
"""

from .config import MediaConfig
from .errors import MediaError, NotMedia
from .records import Record
from .schema import capture_hash_fixed, create_tables
from .service import MediaService

__all__ = ["MediaConfig", "MediaError", "MediaService", "NotMedia", "Record", "capture_hash_fixed", "create_tables"]
