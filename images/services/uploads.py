"""Blob uploads: sessions, chunks, completion, cross-repository mounts and blob unlinking."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from harborpy import sql
from images import blobstore
from images.blobstore import BodyReader
from images.digests import ResumableHasher, digest_algorithm
from images.errors import (
    BlobUnknown,
    BlobUploadInvalid,
    BlobUploadUnknown,
    DigestInvalid,
    NameUnknown,
    QuotaExceeded,
    RangeNotSatisfiable,
)
from images.models import Blob, BlobUpload, Repository, RepositoryBlob
from images.names import validate_digest
from images.selectors import blob_in_project, project_storage_usage
from images.services.repositories import repository_get_or_create_for_push
from projects.models import UNLIMITED, Project

# How long a request may hold an upload session for writing. Chunks normally take seconds; the
# lease only matters when an instance dies mid-request, and then the client starts a new session.
UPLOAD_LEASE = timedelta(hours=1)

_CONTENT_RANGE_RE = re.compile(r"^(?:bytes[ =])?(\d+)-(\d+)(?:/(?:\d+|\*))?$")


@dataclass(frozen=True)
class Body:
    """An upload request body and what the client declared about it."""

    reader: BodyReader
    length: int | None  # Content-Length, or None when chunked
    content_range: str = ""

    @property
    def may_have_content(self) -> bool:
        return self.length is None or self.length > 0


def _parse_content_range(value: str) -> tuple[int, int]:
    match = _CONTENT_RANGE_RE.match(value.strip())
    if not match or int(match.group(2)) < int(match.group(1)):
        raise BlobUploadInvalid(_("Malformed Content-Range %(range)s.") % {"range": value[:100]})
    return int(match.group(1)), int(match.group(2))


def upload_range_header(offset: int) -> str:
    """The Range header of an upload session: the bytes received so far, inclusive."""
    return f"0-{max(offset - 1, 0)}"


def blob_upload_start(*, repository_name: str) -> BlobUpload:
    """Open an upload session in the repository (created on first push); raises NameUnknown."""
    repository = repository_get_or_create_for_push(name=repository_name)
    upload_id = uuid.uuid4()
    key = blobstore.storage_key_for_upload(upload_id.hex)
    backend_state = blobstore.upload_start(key=key)
    upload = BlobUpload(
        id=upload_id,
        repository=repository,
        storage_key=key,
        backend_state=backend_state,
        hash_state=ResumableHasher().state(),
    )
    try:
        _session_insert(upload)
    except BaseException:
        blobstore.upload_discard(key=key, backend_state=backend_state)
        raise
    return upload


# --- Session rows -------------------------------------------------------------------------------
# Every chunk of every push reads and updates its session row a few times: these statements are
# written out (see harborpy/sql.py for why and how). "offset" is quoted: it is an SQL keyword.

_T = sql.table(BlobUpload)
_LOAD_SQL = (
    "SELECT u.repository_id, r.project_id, p.storage_limit, u.storage_key, "  # noqa: S608
    'u."offset", u.hash_algorithm, u.hash_state, u.backend_state '
    f"FROM {_T} u JOIN {sql.table(Repository)} r ON r.id = u.repository_id "
    f"JOIN {sql.table(Project)} p ON p.id = r.project_id WHERE u.id = %s AND r.name = %s"
)
_INSERT_SQL = (
    f'INSERT INTO {_T} (id, repository_id, storage_key, "offset", hash_algorithm, hash_state, '  # noqa: S608
    "backend_state, busy_until, created_at, updated_at) VALUES (%s, %s, %s, 0, %s, %s, %s, NULL, %s, %s)"
)
_NOT_BUSY = "(busy_until IS NULL OR busy_until < %s)"
_CLAIM_SQL = f'UPDATE {_T} SET busy_until = %s WHERE id = %s AND "offset" = %s AND {_NOT_BUSY}'  # noqa: S608
_RELEASE_SQL = f"UPDATE {_T} SET busy_until = NULL WHERE id = %s"  # noqa: S608
_RECORD_SQL = (
    f'UPDATE {_T} SET "offset" = %s, hash_state = %s, backend_state = %s, updated_at = %s{{release}} '  # noqa: S608
    'WHERE id = %s AND "offset" = %s'
)
_RECORD_AND_RELEASE_SQL = _RECORD_SQL.format(release=", busy_until = NULL")
_RECORD_ONLY_SQL = _RECORD_SQL.format(release="")
_DELETE_SQL = f"DELETE FROM {_T} WHERE id = %s"  # noqa: S608
_CONSUME_SQL = f'{_DELETE_SQL} AND "offset" = %s'
_CONSUME_IDLE_SQL = f"{_CONSUME_SQL} AND {_NOT_BUSY}"


def _pk(upload: BlobUpload) -> object:
    return sql.db_value(BlobUpload, "id", upload.pk)


def _now() -> object:
    return sql.db_value(BlobUpload, "updated_at", timezone.now())


def _session_insert(upload: BlobUpload) -> None:
    now = _now()
    sql.execute(
        _INSERT_SQL,
        [
            _pk(upload),
            upload.repository_id,
            upload.storage_key,
            upload.hash_algorithm,
            sql.db_value(BlobUpload, "hash_state", upload.hash_state),
            sql.db_value(BlobUpload, "backend_state", upload.backend_state),
            now,
            now,
        ],
    )


def _load(*, repository_name: str, upload_id: str) -> BlobUpload:
    """The session `upload_id` of this repository; raises BlobUploadUnknown."""
    try:
        pk = uuid.UUID(upload_id)
    except ValueError:
        raise BlobUploadUnknown(detail={"uuid": upload_id[:100]}) from None
    row = sql.fetch_one(_LOAD_SQL, [sql.db_value(BlobUpload, "id", pk), repository_name])
    if row is None:
        raise BlobUploadUnknown(detail={"uuid": upload_id})
    repository_id, project_id, storage_limit, key, offset, algorithm, hash_state, backend_state = row
    repository = Repository(id=repository_id, project_id=project_id)
    repository.storage_limit = storage_limit
    return BlobUpload(
        id=pk,
        repository=repository,
        storage_key=key,
        offset=offset,
        hash_algorithm=algorithm,
        hash_state=bytes(hash_state) if hash_state is not None else None,
        backend_state=sql.json_value(backend_state),
    )


def _busy(upload: BlobUpload) -> BlobUploadInvalid:
    return BlobUploadInvalid(_("Another request is writing to this upload."), detail={"uuid": str(upload.pk)})


def _claim(upload: BlobUpload) -> None:
    """Take the session's write lease; raises BlobUploadInvalid when another request holds it."""
    now = timezone.now()
    until = sql.db_value(BlobUpload, "busy_until", now + UPLOAD_LEASE)
    if not sql.execute(
        _CLAIM_SQL, [until, _pk(upload), upload.offset, sql.db_value(BlobUpload, "busy_until", now)]
    ):
        raise _busy(upload)


def _release(upload: BlobUpload) -> None:
    sql.execute(_RELEASE_SQL, [_pk(upload)])


def _record(upload: BlobUpload, *, old_offset: int, release: bool) -> bool:
    """Store the session's new offset, hash and backend state if it still stands at `old_offset`."""
    return bool(
        sql.execute(
            _RECORD_AND_RELEASE_SQL if release else _RECORD_ONLY_SQL,
            [
                upload.offset,
                sql.db_value(BlobUpload, "hash_state", upload.hash_state),
                sql.db_value(BlobUpload, "backend_state", upload.backend_state),
                _now(),
                _pk(upload),
                old_offset,
            ],
        )
    )


def _consume(upload: BlobUpload, *, leased: bool) -> bool:
    """Delete the session row if it stands at its offset and (unless we hold the lease) is idle."""
    if leased:
        return bool(sql.execute(_CONSUME_SQL, [_pk(upload), upload.offset]))
    now = sql.db_value(BlobUpload, "busy_until", timezone.now())
    return bool(sql.execute(_CONSUME_IDLE_SQL, [_pk(upload), upload.offset, now]))


def _append(upload: BlobUpload, body: Body, *, release: bool) -> None:
    """Write `body` at the session's offset and record the new offset and hash state.

    The caller holds the lease; with `release`, recording the chunk also gives it back.
    """
    if body.content_range:
        start, end = _parse_content_range(body.content_range)
        if start != upload.offset:
            raise RangeNotSatisfiable(
                _("The chunk starts at %(start)d but the upload has %(offset)d bytes.")
                % {"start": start, "offset": upload.offset},
                headers={"Range": upload_range_header(upload.offset), "Docker-Upload-UUID": str(upload.pk)},
            )
        if body.length is not None and body.length != end - start + 1:
            raise RangeNotSatisfiable(
                _("Content-Range and Content-Length disagree."),
                headers={"Range": upload_range_header(upload.offset), "Docker-Upload-UUID": str(upload.pk)},
            )
    hasher = ResumableHasher.from_state(upload.hash_algorithm, upload.hash_state)
    old_state = upload.backend_state
    written, new_state = blobstore.upload_write(
        key=upload.storage_key,
        backend_state=old_state,
        offset=upload.offset,
        body=body.reader,
        hasher=hasher,
        length=body.length,
    )
    old_offset = upload.offset
    upload.offset += written
    upload.hash_state = hasher.state() if hasher is not None else None
    upload.backend_state = new_state
    if not _record(upload, old_offset=old_offset, release=release):
        # Another request moved the session on (or ended it) first: delete the tail object this
        # request wrote, unless the state now recorded happens to name the same one.
        recorded = BlobUpload.objects.filter(pk=upload.pk).values_list("backend_state", flat=True).first()
        blobstore.upload_release(key=upload.storage_key, old_state=new_state, new_state=recorded or {})
        raise BlobUploadInvalid(_("The upload changed while this chunk was written."))
    blobstore.upload_release(key=upload.storage_key, old_state=old_state, new_state=new_state)


def blob_upload_append(*, repository_name: str, upload_id: str, body: Body) -> BlobUpload:
    """Append a chunk (PATCH). Raises BlobUploadUnknown, RangeNotSatisfiable, BlobUploadInvalid."""
    upload = _load(repository_name=repository_name, upload_id=upload_id)
    _append_claimed(upload, body, release=True)
    return upload


def _append_claimed(upload: BlobUpload, body: Body, *, release: bool) -> None:
    """Claim the session, append `body`; the lease goes back on failure, and with `release`."""
    _claim(upload)
    try:
        _append(upload, body, release=release)
    except BaseException:
        _release(upload)
        raise


def _verified_digest(*, key: str, expected: str, hasher: ResumableHasher | None) -> str:
    algorithm = digest_algorithm(expected)
    if hasher is not None and hasher.algorithm == algorithm:
        return hasher.digest()
    # No running hash of that algorithm (a sha512 digest, or a state from another platform).
    return blobstore.blob_hash(key=key, algorithm=algorithm)


_BLOB_INSERT_SQL = (
    f"INSERT INTO {sql.table(Blob)} (digest, size, storage_key, created_at) "  # noqa: S608
    "VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING"
)
_BLOB_SELECT_SQL = f"SELECT id, size, storage_key FROM {sql.table(Blob)} WHERE digest = %s"  # noqa: S608
_LINK_SQL = (
    f"INSERT INTO {sql.table(RepositoryBlob)} (repository_id, blob_id, created_at) "  # noqa: S608
    "VALUES (%s, %s, %s) ON CONFLICT DO NOTHING"
)


def _blob_record(*, repository: Repository, key: str, digest: str, size: int) -> Blob:
    """Record the stored object as the blob `digest` and link it into the repository.

    Runs in the caller's transaction. Two uploads of the same content may finish at once: the
    digest is unique, the first insert wins, and the other's object is deleted once the link to
    the winner is committed.
    """
    sql.execute(_BLOB_INSERT_SQL, [digest, size, key, sql.db_value(Blob, "created_at", timezone.now())])
    blob_id, stored_size, stored_key = sql.fetch_one(_BLOB_SELECT_SQL, [digest])
    if stored_key != key:
        transaction.on_commit(lambda: blobstore.blob_delete(key=key))
    blob = Blob(id=blob_id, digest=digest, size=stored_size, storage_key=stored_key)
    _quota_check(repository, blob)
    _link(repository, blob)
    return blob


def _quota_check(repository: Repository, blob: Blob) -> None:
    """Raise QuotaExceeded if linking `blob` would take the project over its storage quota.

    `repository.storage_limit` is the project's quota, carried with the repository. Usage is
    summed when needed rather than kept in a counter row, so concurrent pushes never queue on a
    lock; two racing pushes can therefore overshoot the quota by what they add together.
    """
    limit = getattr(repository, "storage_limit", UNLIMITED)
    if limit == UNLIMITED or blob_in_project(project_id=repository.project_id, blob_id=blob.pk):
        return
    usage = project_storage_usage(project_id=repository.project_id)
    if usage + blob.size > limit:
        raise _quota_exceeded(size=blob.size, usage=usage, limit=limit)


def _quota_exceeded(*, size: int, usage: int, limit: int) -> QuotaExceeded:
    return QuotaExceeded(
        _("Adding %(size)s would take the project to %(total)s, over its storage quota of %(limit)s.")
        % {
            "size": filesizeformat(size),
            "total": filesizeformat(usage + size),
            "limit": filesizeformat(limit),
        },
        detail={"limit": limit, "usage": usage, "size": size},
    )


def _link(repository: Repository, blob: Blob) -> None:
    """Make `blob` readable in `repository` (one INSERT, a no-op when already linked)."""
    sql.execute(
        _LINK_SQL, [repository.pk, blob.pk, sql.db_value(RepositoryBlob, "created_at", timezone.now())]
    )


def _complete(
    *,
    repository: Repository,
    key: str,
    backend_state: dict,
    size: int,
    digest: str,
    hasher: ResumableHasher | None,
) -> Blob:
    blobstore.upload_commit(key=key, backend_state=backend_state)
    try:
        computed = _verified_digest(key=key, expected=digest, hasher=hasher)
        if computed != digest:
            raise _digest_mismatch(computed, digest)
        with transaction.atomic():
            return _blob_record(repository=repository, key=key, digest=digest, size=size)
    except BaseException:
        blobstore.blob_delete(key=key)
        raise


def _digest_mismatch(computed: str, digest: str) -> DigestInvalid:
    return DigestInvalid(
        _("The content's digest is %(computed)s, not %(digest)s.") % {"computed": computed, "digest": digest},
        detail={"digest": digest},
    )


def blob_upload_finish(*, repository_name: str, upload_id: str, digest: str, body: Body) -> Blob:
    """Complete a session (PUT ?digest=), with an optional last chunk. Idempotent per digest.

    Raises DigestInvalid (the session is then gone, as its content cannot become that blob),
    BlobUploadUnknown, RangeNotSatisfiable, BlobUploadInvalid.
    """
    validate_digest(digest)
    upload = _load(repository_name=repository_name, upload_id=upload_id)
    leased = body.may_have_content
    if leased:
        _append_claimed(upload, body, release=False)
    hasher = ResumableHasher.from_state(upload.hash_algorithm, upload.hash_state)
    key, state = upload.storage_key, upload.backend_state
    consumed = False
    try:
        # One transaction: the session row goes, the blob and its link come. Deleting only an
        # idle row at the expected offset is also the claim: a concurrent PATCH makes it delete
        # nothing. From then on the session is consumed whatever happens.
        with transaction.atomic():
            if not _consume(upload, leased=leased):
                raise _busy(upload)
            consumed = True
            blobstore.upload_commit(key=key, backend_state=state)
            computed = _verified_digest(key=key, expected=digest, hasher=hasher)
            blob = None
            if computed == digest:
                blob = _blob_record(repository=upload.repository, key=key, digest=digest, size=upload.offset)
    except BaseException:
        if not consumed:
            if leased:
                _release(upload)
            raise
        # The transaction rolled back and brought the row back: the session cannot go on.
        sql.execute(_DELETE_SQL, [_pk(upload)])
        blobstore.upload_discard(key=key, backend_state=state)
        raise
    if blob is None:
        blobstore.upload_discard(key=key, backend_state=state)
        raise _digest_mismatch(computed, digest)
    return blob


def blob_upload_monolithic(*, repository_name: str, digest: str, body: Body) -> Blob:
    """Store a whole blob sent with POST ?digest=, without a session. Idempotent per digest."""
    validate_digest(digest)
    repository = repository_get_or_create_for_push(name=repository_name)
    key = blobstore.storage_key_for_upload(uuid.uuid4().hex)
    backend_state = blobstore.upload_start(key=key)
    hasher = ResumableHasher(digest_algorithm(digest))
    try:
        size, backend_state = blobstore.upload_write(
            key=key,
            backend_state=backend_state,
            offset=0,
            body=body.reader,
            hasher=hasher,
            length=body.length,
        )
        return _complete(
            repository=repository,
            key=key,
            backend_state=backend_state,
            size=size,
            digest=digest,
            hasher=hasher,
        )
    except BaseException:
        blobstore.upload_discard(key=key, backend_state=backend_state)
        raise


def blob_upload_cancel(*, repository_name: str, upload_id: str) -> None:
    """Cancel a session and delete what it wrote; raises BlobUploadUnknown."""
    try:
        pk = uuid.UUID(upload_id)
    except ValueError:
        raise BlobUploadUnknown(detail={"uuid": upload_id[:100]}) from None
    upload = BlobUpload.objects.filter(pk=pk, repository__name=repository_name).first()
    if upload is None or not BlobUpload.objects.filter(pk=pk).delete()[0]:
        raise BlobUploadUnknown(detail={"uuid": upload_id})
    blobstore.upload_discard(key=upload.storage_key, backend_state=upload.backend_state)


def blob_mount(*, repository_name: str, digest: str, from_repository_name: str) -> Blob | None:
    """Link a blob of another repository into this one (the caller may read both); None if absent."""
    validate_digest(digest)
    blob = Blob.objects.filter(digest=digest, repository_links__repository__name=from_repository_name).first()
    if blob is None:
        return None
    repository = repository_get_or_create_for_push(name=repository_name)
    with transaction.atomic():
        _quota_check(repository, blob)
        _link(repository, blob)
    return blob


def blob_unlink(*, repository_name: str, digest: str) -> None:
    """Make a blob unreadable in the repository (DELETE); garbage collection frees the bytes."""
    validate_digest(digest)
    deleted, _rows = RepositoryBlob.objects.filter(
        repository__name=repository_name, blob__digest=digest
    ).delete()
    if not deleted:
        if not Repository.objects.filter(name=repository_name).exists():
            raise NameUnknown(detail={"name": repository_name})
        raise BlobUnknown(detail={"digest": digest})


def blobs_link(*, repository: Repository, blobs: list[Blob]) -> None:
    """Make blobs the registry holds readable in `repository`, as pushing them would (an artifact copy).

    Runs in the caller's transaction. The quota is checked once, for the blobs new to the project.
    Raises QuotaExceeded.
    """
    limit = getattr(repository, "storage_limit", UNLIMITED)
    if limit != UNLIMITED and blobs:
        in_project = set(
            RepositoryBlob.objects.filter(
                repository__project_id=repository.project_id, blob__in=[blob.pk for blob in blobs]
            ).values_list("blob_id", flat=True)
        )
        added = sum(
            blob.size for blob in {blob.pk: blob for blob in blobs}.values() if blob.pk not in in_project
        )
        if added:
            usage = project_storage_usage(project_id=repository.project_id)
            if usage + added > limit:
                raise _quota_exceeded(size=added, usage=usage, limit=limit)
    for blob in blobs:
        _link(repository, blob)
