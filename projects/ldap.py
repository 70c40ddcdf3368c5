"""LDAP and Active Directory: the authentication backend, and the directory reads the API and ldap_sync need.

Configured by the HARBORPY_LDAP_* settings (harborpy/settings.py), or for `/ldap/ping` by a
configuration an admin wants to try. Logins go through django-auth-ldap (`LdapBackend`, first in
AUTHENTICATION_BACKENDS when LDAP is enabled): it finds the person's DN with the service account,
binds as the person to check the password, and creates the harborpy user on the first login.
After each successful login the user's details, (nested) LDAP groups and admin flag are written
by projects.services.ldap.ldap_user_sync, so a membership is never frozen at the first login.

This module imports python-ldap, an optional extra (`pip install '.[ldap]'`): import it only
when LDAP is in use. It never writes to the database itself.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import ldap
import ldap.cidict
import ldap.dn
import ldap.filter
from django.conf import settings
from django.utils.translation import gettext as _
from django_auth_ldap.backend import LDAPBackend
from django_auth_ldap.config import (
    ActiveDirectoryGroupType,
    GroupOfNamesType,
    GroupOfUniqueNamesType,
    LDAPGroupType,
    LDAPSearch,
    LDAPSettings,
    NestedActiveDirectoryGroupType,
    NestedGroupOfNamesType,
    NestedGroupOfUniqueNamesType,
    PosixGroupType,
)

from harborpy.errors import BadRequest
from projects.errors import LdapNotConfigured, LdapUnavailable
from projects.models import User
from projects.services.ldap import LdapAccount, LdapGroupEntry, ldap_user_sync

logger = logging.getLogger(__name__)

SCOPES = {"base": ldap.SCOPE_BASE, "onelevel": ldap.SCOPE_ONELEVEL, "subtree": ldap.SCOPE_SUBTREE}
GROUP_TYPES: dict[str, type[LDAPGroupType]] = {
    "groupOfNames": GroupOfNamesType,
    "nestedGroupOfNames": NestedGroupOfNamesType,
    "groupOfUniqueNames": GroupOfUniqueNamesType,
    "nestedGroupOfUniqueNames": NestedGroupOfUniqueNamesType,
    "activeDirectory": ActiveDirectoryGroupType,
    "nestedActiveDirectory": NestedActiveDirectoryGroupType,
    "posixGroup": PosixGroupType,
}
# Harbor's LdapConf.ldap_scope: 0 base, 1 one level, 2 subtree.
HARBOR_SCOPES = {0: "base", 1: "onelevel", 2: "subtree"}
_HARBOR_CONF_FIELDS = {
    "ldap_url": "url",
    "ldap_search_dn": "bind_dn",
    "ldap_base_dn": "user_base_dn",
    "ldap_filter": "user_filter",
    "ldap_uid": "uid_attribute",
    "ldap_connection_timeout": "timeout",
    "ldap_verify_cert": "verify_cert",
}
# Entries one search returns at most: a search for every user or group of a big directory would
# otherwise hold all of them in memory (servers have their own limit too, 500 by default in slapd).
SEARCH_SIZE_LIMIT = 1000
# Active Directory's userAccountControl flag of a disabled account.
_AD_ACCOUNT_DISABLED = 0x2


def normalize_dn(dn: str) -> str:
    """A DN in one spelling: no spaces around separators, lower case (DNs compare case-insensitively)."""
    try:
        return ldap.dn.dn2str(ldap.dn.str2dn(dn.strip())).lower()
    except ldap.DECODING_ERROR:
        return dn.strip().lower()


def _filter(raw: str) -> str:
    """A filter in parentheses, as Harbor accepts `objectClass=person` for `(objectClass=person)`."""
    raw = raw.strip()
    return raw if raw.startswith("(") else f"({raw})" if raw else "(objectClass=*)"


@dataclass(frozen=True)
class LdapConfig:
    """Everything needed to talk to the directory (settings.LDAP_*, or what /ldap/ping is given)."""

    url: str
    bind_dn: str = ""
    bind_password: str = ""
    user_base_dn: str = ""
    user_filter: str = "(objectClass=person)"
    uid_attribute: str = "uid"
    scope: str = "subtree"
    group_base_dn: str = ""
    group_filter: str = "(objectClass=groupOfNames)"
    group_type: str = "nestedGroupOfNames"
    group_name_attribute: str = "cn"
    admin_group_dn: str = ""
    start_tls: bool = False
    tls_ca_file: str = ""
    verify_cert: bool = True
    timeout: int = 5
    email_attribute: str = "mail"
    realname_attribute: str = "cn"

    @classmethod
    def from_settings(cls, *, required: bool = True) -> LdapConfig:
        """The configured directory. Raises LdapNotConfigured when LDAP is off (unless not `required`)."""
        if not settings.LDAP_ENABLED and required:
            raise LdapNotConfigured()
        return cls(
            url=settings.LDAP_URL,
            bind_dn=settings.LDAP_BIND_DN,
            bind_password=settings.LDAP_BIND_PASSWORD,
            user_base_dn=settings.LDAP_USER_BASE_DN,
            user_filter=settings.LDAP_USER_FILTER,
            uid_attribute=settings.LDAP_UID_ATTRIBUTE,
            scope=settings.LDAP_SCOPE,
            group_base_dn=settings.LDAP_GROUP_BASE_DN or settings.LDAP_USER_BASE_DN,
            group_filter=settings.LDAP_GROUP_FILTER,
            group_type=settings.LDAP_GROUP_TYPE,
            group_name_attribute=settings.LDAP_GROUP_NAME_ATTRIBUTE,
            admin_group_dn=settings.LDAP_ADMIN_GROUP_DN,
            start_tls=settings.LDAP_START_TLS,
            tls_ca_file=settings.LDAP_TLS_CA_FILE,
            verify_cert=settings.LDAP_VERIFY_CERT,
            timeout=settings.LDAP_TIMEOUT,
            email_attribute=settings.LDAP_EMAIL_ATTRIBUTE,
            realname_attribute=settings.LDAP_REALNAME_ATTRIBUTE,
        )

    def with_harbor_conf(self, conf: Mapping[str, Any]) -> LdapConfig:
        """This configuration changed by Harbor's LdapConf fields (the body of /ldap/ping).

        A blank field keeps the configured value. The configured bind password is kept only for
        the configured server and bind DN: it is never sent to a server an API caller names.
        """
        changes: dict[str, Any] = {}
        for field, attribute in _HARBOR_CONF_FIELDS.items():
            value = conf.get(field)
            if value is not None and value != "":
                changes[attribute] = value
        if conf.get("ldap_scope") is not None:
            changes["scope"] = HARBOR_SCOPES[conf["ldap_scope"]]
        if conf.get("ldap_search_password"):
            changes["bind_password"] = conf["ldap_search_password"]
        elif (changes.get("url", self.url), changes.get("bind_dn", self.bind_dn)) != (self.url, self.bind_dn):
            changes["bind_password"] = ""
        return replace(self, **changes)

    @property
    def search_scope(self) -> int:
        return SCOPES[self.scope]

    def connection_options(self) -> dict[int, Any]:
        """python-ldap options of each connection; OPT_X_TLS_NEWCTX last, to apply the TLS ones."""
        options: dict[int, Any] = {
            ldap.OPT_PROTOCOL_VERSION: ldap.VERSION3,
            # Active Directory answers searches from the domain root with referrals nobody can follow.
            ldap.OPT_REFERRALS: 0,
            ldap.OPT_NETWORK_TIMEOUT: self.timeout,
            ldap.OPT_TIMEOUT: self.timeout,
            ldap.OPT_X_TLS_REQUIRE_CERT: ldap.OPT_X_TLS_DEMAND if self.verify_cert else ldap.OPT_X_TLS_NEVER,
        }
        if self.tls_ca_file:
            options[ldap.OPT_X_TLS_CACERTFILE] = self.tls_ca_file
        options[ldap.OPT_X_TLS_NEWCTX] = 0
        return options

    def user_search(self) -> LDAPSearch:
        """The search for one user, `%(user)s` being the login name."""
        return LDAPSearch(
            self.user_base_dn,
            self.search_scope,
            f"(&{_filter(self.user_filter)}({self.uid_attribute}=%(user)s))",
        )

    def group_search(self) -> LDAPSearch:
        return LDAPSearch(
            self.group_base_dn or self.user_base_dn, self.search_scope, _filter(self.group_filter)
        )

    def group_type_instance(self) -> LDAPGroupType:
        return GROUP_TYPES[self.group_type](name_attr=self.group_name_attribute)

    def backend_settings(self) -> LDAPSettings:
        """django-auth-ldap's settings for this directory (never read from AUTH_LDAP_* settings)."""
        return LDAPSettings(
            prefix="HARBORPY_INTERNAL_AUTH_LDAP_",
            defaults={
                "SERVER_URI": self.url,
                "BIND_DN": self.bind_dn,
                "BIND_PASSWORD": self.bind_password,
                "START_TLS": self.start_tls,
                "CONNECTION_OPTIONS": self.connection_options(),
                "USER_SEARCH": self.user_search(),
                "GROUP_SEARCH": self.group_search(),
                "GROUP_TYPE": self.group_type_instance(),
                # The user's details, groups and flags are ldap_user_sync's to write, at every login.
                "ALWAYS_UPDATE_USER": False,
                "CACHE_TIMEOUT": 0,
            },
        )


def _describe(exc: ldap.LDAPError) -> str:
    """python-ldap's error as one line: `Can't contact LDAP server (Connection refused)`."""
    info = exc.args[0] if exc.args and isinstance(exc.args[0], dict) else {}
    desc = str(info.get("desc") or type(exc).__name__)
    detail = str(info.get("info") or "")
    if detail == "(unknown error code)":
        detail = ""
    return f"{desc} ({detail})" if detail else desc


def _unavailable(config: LdapConfig, exc: ldap.LDAPError) -> LdapUnavailable:
    if isinstance(exc, ldap.INVALID_CREDENTIALS):
        return LdapUnavailable(
            _("The LDAP server %(url)s refused the bind DN %(dn)s and its password.")
            % {"url": config.url, "dn": config.bind_dn or _("(anonymous)")}
        )
    if isinstance(exc, ldap.SERVER_DOWN | ldap.TIMEOUT | ldap.CONNECT_ERROR):
        if config.start_tls or config.url.startswith("ldaps://"):
            # libldap does not say when the TLS handshake is what failed.
            return LdapUnavailable(
                _(
                    "The LDAP server %(url)s cannot be reached: %(reason)s. If its certificate is the "
                    "problem, check HARBORPY_LDAP_TLS_CA_FILE and HARBORPY_LDAP_VERIFY_CERT."
                )
                % {"url": config.url, "reason": _describe(exc)}
            )
        return LdapUnavailable(
            _("The LDAP server %(url)s cannot be reached: %(reason)s")
            % {"url": config.url, "reason": _describe(exc)}
        )
    return LdapUnavailable(
        _("The LDAP server %(url)s answered with an error: %(reason)s")
        % {"url": config.url, "reason": _describe(exc)}
    )


def _decode(attrs: dict[str, list[bytes]]) -> ldap.cidict.cidict:
    decoded = ldap.cidict.cidict()
    for name, values in attrs.items():
        decoded[name] = [value.decode("utf-8", "replace") for value in values]
    return decoded


def _first(attrs: Any, name: str) -> str:
    values = attrs.get(name) if attrs is not None and name else None
    return values[0].strip() if values else ""


@dataclass(frozen=True)
class LdapPerson:
    """A person found in the directory: DN as the server spells it, and attributes."""

    dn: str
    attrs: Any  # cidict of lists of str

    def username(self, config: LdapConfig) -> str:
        return _first(self.attrs, config.uid_attribute)

    @property
    def disabled(self) -> bool:
        flags = _first(self.attrs, "userAccountControl")
        return flags.isdigit() and bool(int(flags) & _AD_ACCOUNT_DISABLED)


@dataclass
class _GroupQueryUser:
    """What django-auth-ldap's group types need of a user to list its groups."""

    dn: str
    attrs: Any
    connection: Any


def account_of(config: LdapConfig, dn: str, attrs: Any, connection: Any) -> LdapAccount:
    """The LdapAccount of a person: details from `attrs`, groups searched on the bound `connection`."""
    group_type = config.group_type_instance()
    infos = group_type.user_groups(
        _GroupQueryUser(dn=dn, attrs=attrs, connection=connection), config.group_search()
    )
    groups = tuple(
        sorted(
            {
                LdapGroupEntry(
                    dn=normalize_dn(info[0]), name=group_type.group_name_from_info(info) or info[0]
                )
                for info in infos
            },
            key=lambda group: group.dn,
        )
    )
    admin_dn = normalize_dn(config.admin_group_dn) if config.admin_group_dn else ""
    return LdapAccount(
        dn=normalize_dn(dn),
        username=_first(attrs, config.uid_attribute),
        email=_first(attrs, config.email_attribute),
        realname=_first(attrs, config.realname_attribute),
        groups=groups,
        is_admin=any(group.dn == admin_dn for group in groups) if admin_dn else None,
        disabled=LdapPerson(dn=dn, attrs=attrs).disabled,
    )


class Directory:
    """A connection bound with the service account (or anonymously), for searches; a context manager.

    Every failure of the server (unreachable, timeout, bind refused, search refused) raises
    LdapUnavailable with a message saying which.
    """

    def __init__(self, config: LdapConfig):
        self.config = config
        self._connection: Any = None

    def __enter__(self) -> Directory:
        self.open()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def open(self) -> None:
        config = self.config
        try:
            connection = ldap.initialize(config.url, bytes_mode=False)
            for option, value in config.connection_options().items():
                connection.set_option(option, value)
            if config.start_tls:
                connection.start_tls_s()
            connection.simple_bind_s(config.bind_dn, config.bind_password)
        except ldap.LDAPError as exc:
            raise _unavailable(config, exc) from None
        self._connection = connection

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.unbind_s()
            except ldap.LDAPError:
                logger.debug("LDAP unbind failed", exc_info=True)

    @property
    def connection(self) -> Any:
        if self._connection is None:
            self.open()
        return self._connection

    def _search(
        self, base: str, scope: int, filterstr: str, attrlist: list[str] | None = None
    ) -> list[tuple[str, Any]]:
        """Entries matching, at most SEARCH_SIZE_LIMIT; none when `base` does not exist."""
        entries: list[tuple[str, Any]] = []
        try:
            msgid = self.connection.search_ext(base, scope, filterstr, attrlist, sizelimit=SEARCH_SIZE_LIMIT)
            while True:
                kind, data, _msgid, _controls = self.connection.result3(
                    msgid, all=0, timeout=self.config.timeout
                )
                entries += [
                    (dn, _decode(attrs)) for dn, attrs in data if dn is not None and isinstance(attrs, dict)
                ]
                if kind == ldap.RES_SEARCH_RESULT:
                    break
        except ldap.NO_SUCH_OBJECT:
            return []
        except ldap.SIZELIMIT_EXCEEDED:
            logger.warning("LDAP search %s under %s stopped at the size limit", filterstr, base)
        except ldap.FILTER_ERROR:
            raise LdapUnavailable(
                _("The LDAP filter %(filter)s is invalid.") % {"filter": filterstr}
            ) from None
        except ldap.LDAPError as exc:
            raise _unavailable(self.config, exc) from None
        return entries

    def search_users(self, username: str = "") -> list[LdapPerson]:
        """People whose uid attribute is `username` (case-insensitively), or every person."""
        config = self.config
        value = ldap.filter.escape_filter_chars(username) if username else "*"
        filterstr = f"(&{_filter(config.user_filter)}({config.uid_attribute}={value}))"
        entries = self._search(config.user_base_dn, config.search_scope, filterstr)
        return [LdapPerson(dn=dn, attrs=attrs) for dn, attrs in entries]

    def account(self, person: LdapPerson) -> LdapAccount:
        """A person's details and (nested) groups."""
        try:
            return account_of(self.config, person.dn, person.attrs, self.connection)
        except ldap.LDAPError as exc:
            raise _unavailable(self.config, exc) from None

    def search_groups(self, *, name: str = "", dn: str = "") -> list[LdapGroupEntry]:
        """Groups called `name`, or the group at `dn` (only under the group base DN), as Harbor searches."""
        config = self.config
        base = config.group_base_dn or config.user_base_dn
        name_attr = config.group_name_attribute
        if dn:
            try:
                parsed = ldap.dn.str2dn(dn)
            except ldap.DECODING_ERROR:
                raise BadRequest(_("Invalid DN: %(dn)s") % {"dn": dn}) from None
            if not parsed or not _under(normalize_dn(dn), normalize_dn(base)):
                return []
            base, filterstr = dn, _filter(config.group_filter)
        else:
            value = ldap.filter.escape_filter_chars(name) if name else "*"
            filterstr = f"(&{_filter(config.group_filter)}({name_attr}={value}))"
        entries = self._search(base, config.search_scope, filterstr, [name_attr])
        return [
            LdapGroupEntry(dn=entry_dn, name=_first(attrs, name_attr) or entry_dn)
            for entry_dn, attrs in entries
        ]


def _under(dn: str, base: str) -> bool:
    return dn == base or dn.endswith("," + base)


def ldap_ping(config: LdapConfig) -> tuple[bool, str]:
    """Whether the server of `config` accepts its bind DN and password, and a message saying so or why not."""
    if not config.url:
        return False, _("error: %(reason)s") % {"reason": LdapNotConfigured.default_message}
    try:
        with Directory(config) as directory:
            identity = directory.connection.whoami_s() or _("anonymous")
    except LdapUnavailable as exc:
        return False, _("error: %(reason)s") % {"reason": exc.message}
    return True, _("Connected to %(url)s as %(identity)s.") % {"url": config.url, "identity": identity}


def ldap_users_search(*, username: str = "") -> list[LdapAccount]:
    """People of the configured directory called `username`, or all (without their groups).

    Raises LdapNotConfigured, LdapUnavailable.
    """
    config = LdapConfig.from_settings()
    with Directory(config) as directory:
        people = directory.search_users(username)
    return [
        LdapAccount(
            dn=person.dn,
            username=person.username(config),
            email=_first(person.attrs, config.email_attribute),
            realname=_first(person.attrs, config.realname_attribute),
        )
        for person in people
    ]


def ldap_groups_search(*, name: str = "", dn: str = "") -> list[LdapGroupEntry]:
    """Groups of the directory by name or DN. Raises LdapNotConfigured, LdapUnavailable, BadRequest."""
    if not name and not dn:
        return []
    with Directory(LdapConfig.from_settings()) as directory:
        return directory.search_groups(name=name, dn=dn)


class LdapBackend(LDAPBackend):
    """django-auth-ldap configured from HARBORPY_LDAP_*; each login also syncs details, groups and admin flag.

    A database user (no LDAP DN, such as `admin`) is never looked up in the directory: its name
    cannot be taken over by an LDAP entry of the same name, and its login costs no LDAP round trip.
    """

    _config: LdapConfig | None = None
    _address: str | None = None

    @property
    def config(self) -> LdapConfig:
        if self._config is None:
            self._config = LdapConfig.from_settings()
        return self._config

    @property
    def settings(self) -> LDAPSettings:
        if self._settings is None:
            self._settings = self.config.backend_settings()
        return self._settings

    @settings.setter
    def settings(self, value: LDAPSettings) -> None:
        self._settings = value

    def authenticate(
        self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        if not settings.LDAP_ENABLED or not username:
            return None
        if User.objects.filter(username__iexact=username.strip(), ldap_dn="").exists():
            return None
        self._address = request.META.get("REMOTE_ADDR") if request is not None else None
        return super().authenticate(request, username=username, password=password, **kwargs)

    def get_or_build_user(self, username: str, ldap_user: Any) -> tuple[User, bool]:
        # The directory's spelling of the name (a login may type BOB for bob).
        name = _first(ldap_user.attrs, self.config.uid_attribute) or username
        user = User.objects.filter(username__iexact=name).first()
        if user is None:
            return User(username=name), True
        if not user.ldap_dn:
            raise ldap_user.AuthenticationFailed("a database user has this name")
        return user, False

    def authenticate_ldap_user(self, ldap_user: Any, password: str) -> Any:
        user = super().authenticate_ldap_user(ldap_user, password)
        if user is None:
            return None
        try:
            account = account_of(self.config, ldap_user.dn, ldap_user.attrs, ldap_user.connection)
        except ldap.LDAPError as exc:
            # Like django-auth-ldap's own group mirroring: no login with groups we could not read.
            logger.warning("LDAP groups of %s could not be read: %s", ldap_user.dn, _describe(exc))
            return None
        return ldap_user_sync(user=user, account=account, address=self._address)

    def get_user(self, user_id: int) -> Any:
        user = super().get_user(user_id)
        return user if user is not None and user.is_active else None
