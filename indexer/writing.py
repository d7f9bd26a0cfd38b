"""A faster writer for Whoosh segments, in Whoosh's own format (its W3 codec).

At a commit, whoosh-reloaded 2.7.5 turns every posting into a chain of Python calls: the
posting pool's ``add`` (with its checks), then ``FieldWriter.add_postings``, which looks up
the page's field length in the length column and calls ``add`` -> ``add_posting`` once per
posting, and then several calls and writes per term. A page has about 430 postings and 100
terms new to its segment (its words and, mostly, their bigrams), so these were about half
the cost of indexing a page. Here the postings of one term are taken together: the field
lengths are read once per field, a block of up to 128 postings is encoded in one step
(a term with one posting, over half of them, in fewer), and each term takes one write to
the postings file and one to the terms table.

What is stored is what Whoosh stores (a test compares every term's statistics and postings
with those Whoosh's writer makes), with one difference Whoosh's readers already handle:
blocks shorter than ``COMPRESS_FROM_BYTES`` are not compressed. Segments record Whoosh's
plain codec, so readers, merges and existing indexes are unaffected.

`open_writer` opens a writer that uses it.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from array import array
from collections.abc import Iterable, Sequence
from itertools import groupby
from operator import itemgetter
from pickle import dumps

from whoosh.codec.base import OutOfOrderError
from whoosh.codec.whoosh3 import (
    WHOOSH3_HEADER_MAGIC,
    W3Codec,
    W3FieldWriter,
    W3TermInfo,
    _lenfield,
)
from whoosh.fields import Schema
from whoosh.filedb.filetables import OrderedHashWriter, md5_hash
from whoosh.index import FileIndex
from whoosh.system import pack_int, pack_ushort
from whoosh.util.numeric import length_to_byte
from whoosh.util.numlists import delta_encode
from whoosh.writing import IndexWriter
from whoosh.writing import PostingPool as WhooshPostingPool

#: a posting as the pool holds it: (fieldname, term bytes, docnum, weight, encoded value)
Posting = tuple[str, bytes, int, float, bytes | None]

#: postings are grouped by (fieldname, term bytes)
_term_key = itemgetter(0, 1)
#: a weight as Whoosh keeps it in a block (array "f")
_FLOAT32 = struct.Struct("f")
#: a terms table row starts with the lengths of its key and value (filetables._lengths)
_ROW_LENGTHS = struct.Struct("!ii")
#: Whoosh's spelling pseudo-postings carry this docnum; they are not postings
_SPELLING_DOCNUM = -1
#: a block's pickled data shorter than this is stored uncompressed: zlib makes a short pickle
#: longer (6 bytes of frame) and costs time both ways; most terms' postings are short
COMPRESS_FROM_BYTES = 64


class PostingPool(WhooshPostingPool):
    """Whoosh's posting pool without its per-posting type checks (the fields make the
    postings, so their types are known); it counts memory as Whoosh does."""

    def add(self, item: Posting) -> None:
        fieldname, tbytes, _, _, vbytes = item
        # (Whoosh's add also collects the field names in a set that nothing reads.)
        # Whoosh's estimate of the item's size in memory (see TempfilePool.add)
        self.currentsize += 150 + len(fieldname) + 2 * len(tbytes) + len(vbytes or b"")
        if self.currentsize > self.limit:
            self.save()
        self.current.append(item)


class TermTable(OrderedHashWriter):
    """Whoosh's terms table writer (an ordered hash file keyed by MD5) with a leaner ``add``:
    one write per row instead of three, the hash from the digest's bytes."""

    def add(self, key: bytes, value: bytes) -> None:
        """Add a row; keys must increase (as `OrderedHashWriter.add` requires)."""
        if key <= self.lastkey:
            raise ValueError(f"Keys must increase: {self.lastkey!r}..{key!r}")
        dbfile = self.dbfile
        position = dbfile.tell()
        self.index.append(position)
        dbfile.write(_ROW_LENGTHS.pack(len(key), len(value)) + key + value)
        # md5_hash: the digest's last 32 bits
        digest = hashlib.md5(key, usedforsecurity=False).digest()
        hashed = int.from_bytes(digest[12:], "big")
        self.buckets[hashed & 255].append((hashed, position))
        self.lastkey = key


class FieldWriter(W3FieldWriter):
    """`W3FieldWriter` whose ``add_postings`` writes each term's postings a block at a time."""

    def __init__(self, codec: W3Codec, storage: object, segment: object) -> None:
        super().__init__(codec, storage, segment)
        # the table has written its header: only its class changes, to the leaner add
        if type(self._tindex) is not OrderedHashWriter or self._tindex.hashfn is not md5_hash:
            raise TypeError(f"unexpected terms table {self._tindex!r} (a new Whoosh?)")
        self._tindex.__class__ = TermTable

    def add_postings(self, schema: Schema, lengths: object, items: Iterable[Posting]) -> None:
        """Write the sorted postings of a segment (what ``FieldWriter.add_postings`` does)."""
        lastfn: str | None = None
        lasttext = b""
        field_lengths: list[int | None] | None = None
        for (fieldname, btext), group in groupby(items, key=_term_key):
            if fieldname != lastfn:
                if lastfn is not None and fieldname < lastfn:
                    raise OutOfOrderError(f"Field {lastfn!r} .. {fieldname!r}")
                if lastfn is not None:
                    self.finish_field()
                self.start_field(fieldname, schema[fieldname])
                field_lengths = _field_lengths(lengths, fieldname)
                lastfn, lasttext = fieldname, b""
            elif btext < lasttext:
                raise OutOfOrderError(f"Term {fieldname}:{lasttext!r} .. {fieldname}:{btext!r}")
            postings = list(group)
            if postings[0][2] == _SPELLING_DOCNUM:  # sorted by docnum: they come first
                postings = [p for p in postings if p[2] != _SPELLING_DOCNUM]
            if postings:
                self._write_term(btext, postings, field_lengths)
            lasttext = btext
        if lastfn is not None:
            self.finish_field()

    def start_field(self, fieldname: str, fieldobj: object) -> None:
        """Start a field's terms (and note the size of its encoded values)."""
        super().start_field(fieldname, fieldobj)
        self._value_size = self._format.fixed_value_size()

    def _write_term(
        self, btext: bytes, postings: list[Posting], field_lengths: list[int | None] | None
    ) -> None:
        """One term's postings in blocks of ``blocklimit``, then its row in the terms table."""
        terminfo = W3TermInfo()
        if len(postings) == 1:  # over half of all terms (nearly all of them bigrams)
            _, _, docnum, weight, value = postings[0]
            size = field_lengths[docnum] if field_lengths is not None else None
            parts = [
                WHOOSH3_HEADER_MAGIC,
                self._block(
                    terminfo,
                    (docnum,),
                    _FLOAT32.unpack(_FLOAT32.pack(weight)),  # the float32 Whoosh keeps
                    max(0, weight),
                    [value] if value else [],
                    [size] if size else [],
                    last=True,
                ),
            ]
        else:
            limit = self._codec._blocklimit
            parts = [WHOOSH3_HEADER_MAGIC]
            for start in range(0, len(postings), limit):
                block = postings[start : start + limit]
                ids = [p[2] for p in block]
                sizes = []
                if field_lengths is not None:
                    sizes = [size for size in map(field_lengths.__getitem__, ids) if size]
                parts.append(
                    self._block(
                        terminfo,
                        ids,
                        array("f", [p[3] for p in block]),
                        max(0, *[p[3] for p in block]),
                        [p[4] for p in block if p[4]],
                        sizes,
                        last=start + limit >= len(postings),
                    )
                )
        postfile = self._postfile
        offset = postfile.tell()
        encoded = b"".join(parts)
        postfile.write(encoded)
        terminfo.set_extent(offset, len(encoded))
        self._tindex.add(pack_ushort(self._fieldid) + btext, terminfo.to_bytes())

    def _block(
        self,
        terminfo: W3TermInfo,
        ids: Sequence[int],
        weights: Sequence[float],
        max_weight: float,
        values: list[bytes],
        sizes: list[int],
        *,
        last: bool,
    ) -> bytes:
        """One block as `W3PostingsWriter` writes it (a length, negative for the last block,
        the pickled block info, the pickled and maybe compressed data), its statistics added
        to ``terminfo`` as `W3TermInfo.add_block` adds them.

        ``weights`` are float32 values as Whoosh stores them, ``max_weight`` the unrounded
        largest weight, ``values`` the non-empty encoded values, ``sizes`` the non-zero field
        lengths of the pages.
        """
        min_length, max_length = (min(sizes), max(sizes)) if sizes else (None, 0)
        _add_block_stats(terminfo, ids, weights, max_weight, min_length, max_length)
        value_size = self._value_size
        if value_size is None or value_size < 0:
            packed_values: object = tuple(values)
        elif value_size == 0:
            packed_values = None
        else:
            packed_values = b"".join(values)
        data = dumps((tuple(delta_encode(ids)), _mini_weights(weights), packed_values), 2)
        # Whoosh meant to leave small blocks uncompressed, but a slip compresses them all;
        # its readers take the level from each block's info
        compression = self._codec._compression if len(data) >= COMPRESS_FROM_BYTES else 0
        if compression:
            data = zlib.compress(data, compression)
        info = dumps(
            (
                len(ids),
                ids[-1],
                max_weight,
                compression,
                length_to_byte(min_length),
                length_to_byte(max_length),
            ),
            2,
        )
        size = len(info) + len(data)
        return b"".join((pack_int(-size if last else size), info, data))


def _add_block_stats(
    terminfo: W3TermInfo,
    ids: Sequence[int],
    weights: Sequence[float],
    max_weight: float,
    min_length: int | None,
    max_length: int,
) -> None:
    """What `W3TermInfo.add_block` adds for a block with these statistics."""
    terminfo._weight += sum(weights)
    terminfo._df += len(ids)
    if terminfo._minlength is None:
        terminfo._minlength = min_length
    else:
        terminfo._minlength = min(terminfo._minlength, min_length)
    terminfo._maxlength = max(terminfo._maxlength, max_length)
    terminfo._maxweight = max(terminfo._maxweight, max_weight)
    if terminfo._minid is None:
        terminfo._minid = ids[0]
    terminfo._maxid = ids[-1]


def _mini_weights(weights: Sequence[float]) -> object:
    """The block's weights as `W3PostingsWriter` keeps them: None when all are 1, the one
    value when all are equal, else a tuple."""
    first = weights[0]
    if first == 1.0 and all(w == 1.0 for w in weights):
        return None
    if all(w == first for w in weights):
        return first
    return tuple(weights)


def _field_lengths(lengths: object, fieldname: str) -> list[int | None] | None:
    """Each document's length of ``fieldname`` as Whoosh's ``doc_field_length`` gives it
    (a false value for none), or None when the segment has no lengths for the field."""
    if lengths is None or not lengths.has_column(_lenfield(fieldname)):
        return None
    length_of = lengths.doc_field_length
    return [length_of(docnum, fieldname) for docnum in range(lengths.doc_count_all())]


class Codec(W3Codec):
    """Whoosh's W3 codec writing with `FieldWriter`; its segments record a plain
    `W3Codec`, so an index written with it is an ordinary Whoosh index."""

    def field_writer(self, storage: object, segment: object) -> FieldWriter:
        return FieldWriter(self, storage, segment)

    def new_segment(self, storage: object, indexname: str) -> object:
        segment = super().new_segment(storage, indexname)
        segment._codec = W3Codec(self._blocklimit, self._compression, self._inlinelimit)
        return segment


def open_writer(ix: FileIndex, *, limitmb: int, procs: int = 1, **options: object) -> IndexWriter:
    """``ix.writer(limitmb=limitmb, procs=procs, **options)`` writing with this module's
    codec, and in one process with its posting pool (Whoosh's writer has no option for it)."""
    writer = ix.writer(limitmb=limitmb, procs=procs, codec=Codec(), **options)
    if procs <= 1:
        writer.pool = PostingPool(writer._tempstorage, writer.newsegment, limitmb=limitmb)
    return writer
