"""Content-addressed blob storage (SHA-256), with atomic writes and streaming reads."""

from storage.blobstore import BlobInfo, BlobStore, BlobTooLarge, shard

__all__ = ["BlobInfo", "BlobStore", "BlobTooLarge", "shard"]
