"""The app's blob store, text cache, thumbnail store, ZIP cache and search index, one each."""

from __future__ import annotations

import threading

from flask import Flask, current_app

from archive.config import data_path
from indexer.index import SearchIndex
from indexer.textcache import TextCache
from indexer.thumbnails import ThumbnailStore
from storage import BlobStore
from storage.zipcache import ZipCache

_index_lock = threading.Lock()


def init_stores(app: Flask) -> None:
    """Create the blob store, text cache and thumbnail store under the data directory."""
    blobs = BlobStore(data_path(app.config, "blobs"))
    blobs.cleanup_abandoned()  # temp files of uploads whose process died
    app.extensions["archive.blobs"] = blobs
    app.extensions["archive.text"] = TextCache(data_path(app.config, "text"))
    app.extensions["archive.thumbnails"] = ThumbnailStore(data_path(app.config, "thumbnails"))
    zips = ZipCache(data_path(app.config, "cache", "zips"), app.config["ZIP_CACHE_MAX_BYTES"])
    zips.cleanup_abandoned()  # archives half-written by a process that died
    app.extensions["archive.zips"] = zips


def blob_store() -> BlobStore:
    return current_app.extensions["archive.blobs"]


def text_cache() -> TextCache:
    return current_app.extensions["archive.text"]


def thumbnail_store() -> ThumbnailStore:
    """First-page PNGs by SHA-256 (written by the worker, served by the documents routes)."""
    return current_app.extensions["archive.thumbnails"]


def zip_cache() -> ZipCache:
    """Built ZIPs kept as files, served with send_file (see archive/exports/zips.py)."""
    return current_app.extensions["archive.zips"]


def search_index() -> SearchIndex:
    """The process's search index, opened on first use (after any fork)."""
    index = current_app.extensions.get("archive.index")
    if index is None:
        with _index_lock:
            index = current_app.extensions.get("archive.index")
            if index is None:
                index = SearchIndex(data_path(current_app.config, "index"), text_cache())
                current_app.extensions["archive.index"] = index
    return index
