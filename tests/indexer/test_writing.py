"""indexer.writing against Whoosh's own segment writer, on real text in six languages.

The same pages go through Whoosh's writer into one index and through `open_writer` into
another, in several commits and then a merge of every segment (which feeds the old
segments' postings back through the writer). Every term must end with the same statistics
and the same postings (documents, weights, encoded positions), every page with the same
stored fields and field lengths.
"""

from __future__ import annotations

import math
import shutil
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh.codec.base import OutOfOrderError
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.index import FileIndex
from whoosh.writing import IndexWriter

from indexer import schema as schema_module
from indexer import writing
from indexer.index import WRITER_LIMITMB, _add_pages
from tests.indexer.test_matching import SPEECHES, UDHR, corpus

pytestmark = pytest.mark.skipif(
    not (SPEECHES.is_dir() and UDHR.is_dir()), reason="shared corpus not found"
)

OpenWriter = Callable[[FileIndex], IndexWriter]


def whoosh_writer(ix: FileIndex) -> IndexWriter:
    return ix.writer(limitmb=WRITER_LIMITMB)


def our_writer(ix: FileIndex) -> IndexWriter:
    return writing.open_writer(ix, limitmb=WRITER_LIMITMB)


def build(directory: Path, writer_of: OpenWriter) -> FileIndex:
    """The corpus in three commits: three segments."""
    directory.mkdir()
    ix = whoosh_index.create_in(str(directory), schema_module.SCHEMA)
    files = corpus()
    for start in range(0, len(files), 16):
        writer = writer_of(ix)
        for record, pages in files[start : start + 16]:
            _add_pages(writer, record, pages)
        writer.commit()
    return ix


def merged(ix: FileIndex, directory: Path, writer_of: OpenWriter) -> FileIndex:
    """A copy of ``ix`` with its segments merged into one."""
    shutil.copytree(ix.storage.folder, directory)
    copy = whoosh_index.open_dir(str(directory))
    writer_of(copy).commit(optimize=True)
    return copy


def contents(ix: FileIndex) -> tuple[list, list, list]:
    """Every term with its statistics and postings, every page's stored fields and lengths."""
    terms = []
    with ix.reader() as reader:
        for fieldname, btext in reader.all_terms():
            info = reader.term_info(fieldname, btext)
            matcher = reader.postings(fieldname, btext)
            postings = []
            while matcher.is_active():
                postings.append((matcher.id(), matcher.weight(), matcher.value()))
                matcher.next()
            stats = (
                info.weight(),
                info.doc_frequency(),
                info.min_length(),
                info.max_length(),
                info.max_weight(),
                info.min_id(),
                info.max_id(),
            )
            terms.append((fieldname, btext, stats, postings))
        stored = list(reader.all_stored_fields())
        scored = [name for name, field in reader.schema.items() if field.scorable]
        lengths = [
            [reader.doc_field_length(docnum, name) for name in scored]
            for docnum in range(reader.doc_count_all())
        ]
    return terms, stored, lengths


@pytest.fixture(scope="module")
def segmented(tmp_path_factory: pytest.TempPathFactory) -> tuple[FileIndex, FileIndex]:
    """The corpus written by Whoosh's writer and by ours."""
    root = tmp_path_factory.mktemp("segmented")
    return build(root / "whoosh", whoosh_writer), build(root / "ours", our_writer)


@pytest.fixture(scope="module", params=["three segments", "merged"])
def pair(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    segmented: tuple[FileIndex, FileIndex],
) -> tuple[FileIndex, FileIndex]:
    """Both indexes as written, then copies of both with their segments merged by their
    writers (a merge feeds the old segments' postings through the writer again)."""
    if request.param == "three segments":
        return segmented
    root = tmp_path_factory.mktemp("merged")
    theirs, ours = segmented
    return merged(theirs, root / "whoosh", whoosh_writer), merged(ours, root / "ours", our_writer)


def test_the_index_holds_what_whooshs_writer_writes(pair: tuple[FileIndex, FileIndex]) -> None:
    theirs, ours = pair
    expected_terms, expected_stored, expected_lengths = contents(theirs)
    terms, stored, lengths = contents(ours)

    assert len(terms) == len(expected_terms) > 10_000
    for found, expected in zip(terms, expected_terms, strict=True):
        assert found == expected
    assert stored == expected_stored
    assert lengths == expected_lengths
    assert len(ours.reader().leaf_readers()) == len(theirs.reader().leaf_readers())


def test_long_posting_lists_fill_blocks_of_128(pair: tuple[FileIndex, FileIndex]) -> None:
    _, ours = pair
    with ours.reader() as reader:
        leaves = [leaf for leaf, _ in reader.leaf_readers()]
        for leaf in leaves:  # "nation" is on most English pages
            pages = leaf.doc_frequency("text_en", "nation")
            assert len(_blocks(leaf, "text_en", b"nation")) == math.ceil(pages / 128)
        if len(leaves) == 1:
            assert pages > 128  # the merged index has a term over several blocks


def _blocks(reader, fieldname: str, btext: bytes) -> list[tuple[int, bytes]]:
    """(compression level, stored data) of each block of a term's postings."""
    matcher = reader.postings(fieldname, btext)
    assert type(matcher) is W3LeafMatcher
    blocks = []
    while True:
        data = matcher._postfile.get(matcher._dataoffset, matcher._nextoffset - matcher._dataoffset)
        blocks.append((matcher._compression, data))
        if matcher._lastblock:
            return blocks
        matcher._goto(matcher._nextoffset)


def test_only_blocks_worth_it_are_compressed_and_the_index_is_smaller(
    pair: tuple[FileIndex, FileIndex],
) -> None:
    theirs, ours = pair
    seen = {"compressed": 0, "plain": 0}
    with ours.reader() as reader:
        sample = [
            (leaf, term)
            for leaf, _ in reader.leaf_readers()
            for term in list(leaf.all_terms())[::50]
        ]
        for leaf, (fieldname, btext) in sample:
            for level, data in _blocks(leaf, fieldname, btext):
                if level:
                    assert len(zlib.decompress(data)) >= writing.COMPRESS_FROM_BYTES
                    seen["compressed"] += 1
                else:
                    assert len(data) < writing.COMPRESS_FROM_BYTES
                    seen["plain"] += 1
    assert seen["compressed"] > 0 and seen["plain"] > 0

    def postings_bytes(ix: FileIndex) -> int:
        """The size of the segments' postings files (inside their compound files)."""
        total = 0
        for segment in ix._segments():
            files = segment.open_compound_file(ix.storage)
            total += files.file_length(segment.make_filename(".pst"))
        return total

    assert postings_bytes(ours) < postings_bytes(theirs)


def test_postings_out_of_order_are_refused(tmp_path: Path) -> None:
    ix = whoosh_index.create_in(str(tmp_path), schema_module.SCHEMA)
    writer = our_writer(ix)
    writer.add_document(key="1:1", page=1, text_en="peace")
    writer.add_document(key="1:2", page=2, text_en="war")
    postings = [
        ("text_en", b"war", 1, 1.0, None),
        ("text_en", b"peace", 0, 1.0, None),  # terms must come in order
    ]
    with pytest.raises(OutOfOrderError):
        writer.fieldwriter.add_postings(ix.schema, None, iter(postings))
    writer.cancel()


def test_a_rebuild_in_two_processes_uses_the_same_writer(tmp_path: Path) -> None:
    ix = whoosh_index.create_in(str(tmp_path), schema_module.SCHEMA)
    writer = writing.open_writer(ix, limitmb=WRITER_LIMITMB, procs=2, multisegment=True)
    assert isinstance(writer.codec, writing.Codec)
    for record, pages in corpus()[:6]:
        _add_pages(writer, record, pages)
    writer.commit()
    with ix.searcher() as searcher:
        assert searcher.doc_count() == sum(len(pages) for _, pages in corpus()[:6])
        # the segments record Whoosh's own codec: any Whoosh opens this index
        assert {type(s.codec()).__name__ for s in ix._segments()} == {"W3Codec"}
