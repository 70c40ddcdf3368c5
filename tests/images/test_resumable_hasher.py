from __future__ import annotations

import hashlib

from images.digests import ResumableHasher


def test_hasher_resumes_from_a_state_read_back_as_memoryview():
    hasher = ResumableHasher("sha256")
    hasher.update(b"first chunk ")
    state = hasher.state()
    assert state is not None  # OpenSSL is available wherever harborpy's tests run

    resumed = ResumableHasher.from_state("sha256", memoryview(state))  # PostgreSQL's BinaryField

    assert resumed is not None
    resumed.update(b"second chunk")
    assert resumed.digest() == "sha256:" + hashlib.sha256(b"first chunk second chunk").hexdigest()
