"""Registry errors, named after the OCI distribution-spec error codes they render as."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from harborpy.errors import HarborError, Unauthorized


class BlobUnknown(HarborError):
    code, status, default_message = "BLOB_UNKNOWN", 404, _("Blob unknown to registry.")


class BlobUploadInvalid(HarborError):
    code, status, default_message = "BLOB_UPLOAD_INVALID", 400, _("Blob upload invalid.")


class BlobUploadUnknown(HarborError):
    code, status, default_message = "BLOB_UPLOAD_UNKNOWN", 404, _("Blob upload unknown to registry.")


class RangeNotSatisfiable(BlobUploadInvalid):
    """A chunk that does not start where the upload stands, or a byte range outside a blob."""

    status, default_message = 416, _("The requested range is not satisfiable.")

    def __init__(self, message=None, *, detail=None, headers: dict[str, str] | None = None):
        super().__init__(message, detail=detail)
        self._headers = dict(headers or {})

    def headers(self) -> dict[str, str]:
        return self._headers


class DigestInvalid(HarborError):
    code, status, default_message = (
        "DIGEST_INVALID",
        400,
        _("Provided digest did not match uploaded content."),
    )


class ManifestBlobUnknown(HarborError):
    code, status, default_message = (
        "MANIFEST_BLOB_UNKNOWN",
        400,
        _("Manifest references a blob unknown to registry."),
    )


class ManifestInvalid(HarborError):
    code, status, default_message = "MANIFEST_INVALID", 400, _("Manifest invalid.")


class ManifestUnknown(HarborError):
    code, status, default_message = "MANIFEST_UNKNOWN", 404, _("Manifest unknown.")


class ManifestReferenced(HarborError):
    code, status, default_message = (
        "DENIED",
        409,
        _("The manifest is referenced by an index; delete the index first."),
    )


class NameInvalid(HarborError):
    code, status, default_message = "NAME_INVALID", 400, _("Invalid repository name.")


class NameUnknown(HarborError):
    code, status, default_message = "NAME_UNKNOWN", 404, _("Repository name not known to registry.")


class SizeInvalid(HarborError):
    code, status, default_message = "SIZE_INVALID", 400, _("Provided length did not match content length.")


class ManifestTooLarge(SizeInvalid):
    status, default_message = 413, _("The manifest is larger than the registry accepts.")


class TagInvalid(HarborError):
    code, status, default_message = "TAG_INVALID", 400, _("Invalid tag.")


class PaginationNumberInvalid(HarborError):
    code, status, default_message = (
        "PAGINATION_NUMBER_INVALID",
        400,
        _("Invalid number of results requested."),
    )


class RegistryUnauthorized(Unauthorized):
    """Authentication required: carries the Bearer challenge telling the client where to get a token."""

    def __init__(self, message=None, *, detail=None, challenge: str = ""):
        super().__init__(message, detail=detail)
        self.challenge = challenge

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": self.challenge} if self.challenge else {}


class QuotaExceeded(HarborError):
    code, status, default_message = "DENIED", 403, _("The project's storage quota would be exceeded.")


class ArtifactReferenced(HarborError):
    """Harbor's answer to deleting an artifact an index still references (a 412, like its own)."""

    code, status, default_message = (
        "VIOLATE_FOREIGN_KEY_CONSTRAINT",
        412,
        _("The artifact is referenced by an index; delete the index first."),
    )
