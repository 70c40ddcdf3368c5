from __future__ import annotations

import hashlib
import os

import pytest

from images.digests import ResumableHasher


@pytest.mark.parametrize("algorithm", ["sha256", "sha512"])
def test_state_resumes_in_a_fresh_hasher(algorithm):
    data = os.urandom(3 * 1024 * 1024 + 17)
    first = ResumableHasher(algorithm)
    first.update(data[:1_000_003])

    resumed = ResumableHasher.from_state(algorithm, first.state())
    resumed.update(data[1_000_003:])

    assert resumed.hexdigest() == hashlib.new(algorithm, data).hexdigest()
    assert resumed.digest() == f"{algorithm}:{hashlib.new(algorithm, data).hexdigest()}"


def test_hexdigest_does_not_end_the_hash():
    hasher = ResumableHasher()
    hasher.update(b"abc")
    hasher.hexdigest()
    hasher.update(b"def")

    assert hasher.hexdigest() == hashlib.sha256(b"abcdef").hexdigest()


@pytest.mark.parametrize("state", [None, b"", b"garbage", b"HPY1" + b"\0" * 200])
def test_unusable_state_means_rehash(state):
    assert ResumableHasher.from_state("sha256", state) is None


def test_state_of_another_algorithm_is_not_used():
    state = ResumableHasher("sha256").state()

    assert ResumableHasher.from_state("sha512", state) is None
