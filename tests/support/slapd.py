"""A throwaway OpenLDAP server (slapd) on loopback, for the LDAP tests: nothing is mocked.

Everything lives under the directory it is given: a cn=config directory built with `slapadd -n0`
(the mdb backend, suffix SUFFIX, the core, cosine, inetorgperson and nis schemas), the database,
the pid file and the log. The tree is changed with the OpenLDAP command-line tools (ldapadd,
ldapmodify, ldapdelete), the way an administrator would, and `reset()` puts back the baseline
directory between tests.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import pytest

from tests.support.commands import terminate_with_parent

SUFFIX = "dc=example,dc=org"
ROOT_DN = f"cn=admin,{SUFFIX}"
PEOPLE = f"ou=people,{SUFFIX}"
GROUPS = f"ou=groups,{SUFFIX}"
SCHEMA_DIR = Path("/etc/ldap/schema")
SCHEMAS = ("core", "cosine", "inetorgperson", "nis")
# The password every person of the baseline directory has.
PASSWORD = "Ldap-Passw0rd"
_START_TIMEOUT = 30.0
_STOP_GRACE = 5.0
_BIND_ATTEMPTS = 3


def user_dn(uid: str) -> str:
    return f"uid={uid},{PEOPLE}"


def group_dn(cn: str) -> str:
    return f"cn={cn},{GROUPS}"


def _person(uid: str, cn: str, sn: str, mail: str, number: int) -> str:
    return (
        f"dn: {user_dn(uid)}\nobjectClass: inetOrgPerson\nobjectClass: posixAccount\n"
        f"uid: {uid}\ncn: {cn}\nsn: {sn}\nmail: {mail}\ndisplayName: {cn}\n"
        f"uidNumber: {number}\ngidNumber: {number}\nhomeDirectory: /home/{uid}\nuserPassword: {PASSWORD}\n"
    )


# groupOfNames requires a member: this DN of nobody keeps a group valid when the tests empty it.
PLACEHOLDER_MEMBER = f"cn=placeholder,{SUFFIX}"


def _group(cn: str, *members: str) -> str:
    lines = [f"dn: {group_dn(cn)}", "objectClass: groupOfNames", f"cn: {cn}", f"member: {PLACEHOLDER_MEMBER}"]
    lines += [f"member: {member}" for member in members]
    return "\n".join(lines) + "\n"


# The baseline directory. Nested groups: bob is in `backend`, which is a member of `developers`;
# ann is a harbor admin through `harbor-admins`; cleo has no group; dora is in `qa` only.
BASELINE_ENTRIES = [
    f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example\n",
    f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n",
    f"dn: {GROUPS}\nobjectClass: organizationalUnit\nou: groups\n",
    _person("ann", "Ann Admin", "Admin", "ann@example.org", 10001),
    _person("bob", "Bob Builder", "Builder", "bob@example.org", 10002),
    _person("cleo", "Cleo Outsider", "Outsider", "cleo@example.org", 10003),
    _person("dora", "Dora Tester", "Tester", "dora@example.org", 10004),
    _group("backend", user_dn("bob")),
    _group("developers", group_dn("backend")),
    _group("harbor-admins", user_dn("ann")),
    _group("qa", user_dn("dora")),
]


ADMIN_GROUP = group_dn("harbor-admins")


def ldap_required() -> bool:
    return os.environ.get("HARBORPY_REQUIRE_LDAP", "").strip().lower() in {"1", "true", "yes", "on"}


def ldap_unavailable(reason: str) -> NoReturn:
    """Skip the test for `reason`, or fail it when HARBORPY_REQUIRE_LDAP is set (as in CI)."""
    if ldap_required():
        pytest.fail(f"{reason} (HARBORPY_REQUIRE_LDAP=1 turns this skip into a failure)", pytrace=False)
    pytest.skip(reason)


def harborpy_environment(server: Slapd) -> dict[str, str]:
    """The HARBORPY_LDAP_* variables of a harborpy that uses `server` (the live servers get these)."""
    return {
        "HARBORPY_LDAP_URL": server.url,
        "HARBORPY_LDAP_BIND_DN": ROOT_DN,
        "HARBORPY_LDAP_BIND_PASSWORD": server.root_password,
        "HARBORPY_LDAP_USER_BASE_DN": PEOPLE,
        "HARBORPY_LDAP_USER_FILTER": "(objectClass=inetOrgPerson)",
        "HARBORPY_LDAP_UID_ATTRIBUTE": "uid",
        "HARBORPY_LDAP_SCOPE": "subtree",
        "HARBORPY_LDAP_GROUP_BASE_DN": GROUPS,
        "HARBORPY_LDAP_GROUP_FILTER": "(objectClass=groupOfNames)",
        "HARBORPY_LDAP_GROUP_TYPE": "nestedGroupOfNames",
        "HARBORPY_LDAP_ADMIN_GROUP_DN": ADMIN_GROUP,
        "HARBORPY_LDAP_TIMEOUT": "5",
    }


def django_settings(server: Slapd) -> dict[str, object]:
    """The LDAP_* Django settings harborpy/settings.py makes of harborpy_environment(server)."""
    return {
        "LDAP_URL": server.url,
        "LDAP_ENABLED": True,
        "LDAP_BIND_DN": ROOT_DN,
        "LDAP_BIND_PASSWORD": server.root_password,
        "LDAP_USER_BASE_DN": PEOPLE,
        "LDAP_USER_FILTER": "(objectClass=inetOrgPerson)",
        "LDAP_UID_ATTRIBUTE": "uid",
        "LDAP_SCOPE": "subtree",
        "LDAP_GROUP_BASE_DN": GROUPS,
        "LDAP_GROUP_FILTER": "(objectClass=groupOfNames)",
        "LDAP_GROUP_TYPE": "nestedGroupOfNames",
        "LDAP_GROUP_NAME_ATTRIBUTE": "cn",
        "LDAP_ADMIN_GROUP_DN": ADMIN_GROUP,
        "LDAP_START_TLS": False,
        "LDAP_TLS_CA_FILE": "",
        "LDAP_VERIFY_CERT": True,
        "LDAP_TIMEOUT": 5,
        "LDAP_EMAIL_ATTRIBUTE": "mail",
        "LDAP_REALNAME_ATTRIBUTE": "cn",
    }


def slapd_binary() -> str | None:
    """slapd on PATH or in /usr/sbin (not on a normal user's PATH), else None."""
    return shutil.which("slapd") or shutil.which("slapd", path="/usr/sbin:/usr/local/sbin")


def missing_tools() -> list[str]:
    """The OpenLDAP programs the tests need that are not installed."""
    missing = [] if slapd_binary() else ["slapd"]
    if not shutil.which("slapadd", path=f"{os.environ.get('PATH', '')}:/usr/sbin:/usr/local/sbin"):
        missing.append("slapadd")
    missing += [tool for tool in ("ldapadd", "ldapmodify", "ldapdelete") if not shutil.which(tool)]
    missing += [f"{SCHEMA_DIR}/{name}.ldif" for name in SCHEMAS if not (SCHEMA_DIR / f"{name}.ldif").exists()]
    return missing


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SlapdError(RuntimeError):
    """slapd could not be configured, started or changed; the message says why."""


def make_certificates(directory: Path) -> tuple[Path, Path, Path]:
    """A test CA and a server certificate it signed for 127.0.0.1 and localhost: (CA, cert, key) files."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "harborpy test LDAP CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    paths = directory / "ca.pem", directory / "server.pem", directory / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    paths[2].chmod(0o600)
    return paths


@dataclass
class Slapd:
    """One slapd under `root`, serving SUFFIX on ldap://127.0.0.1:<port>/; start() then stop().

    With `tls`, it has a certificate signed by its own CA (`ca_file`), offers StartTLS on `url`
    and also listens on `ldaps_url`.
    """

    root: Path
    root_password: str = "Slapd-Root-" + os.urandom(6).hex()
    port: int = 0
    tls: bool = False
    ldaps_port: int = 0
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}/"

    @property
    def ldaps_url(self) -> str:
        return f"ldaps://127.0.0.1:{self.ldaps_port}/"

    @property
    def ca_file(self) -> Path:
        return self.root / "tls" / "ca.pem"

    @property
    def log_path(self) -> Path:
        return self.root / "slapd.log"

    def _tool(self, name: str) -> str:
        path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin")
        if path is None:
            raise SlapdError(f"{name} is not installed")
        return path

    def _run(self, args: list[str], stdin: str = "") -> subprocess.CompletedProcess[str]:
        result = subprocess.run(args, input=stdin, capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            raise SlapdError(
                f"{' '.join(args[:2])} exited {result.returncode}: {result.stderr.strip() or result.stdout}"
            )
        return result

    def _config_ldif(self) -> str:
        includes = "\n".join(f"include: file://{SCHEMA_DIR}/{name}.ldif" for name in SCHEMAS)
        tls = ""
        if self.tls:
            _ca, cert, key = make_certificates(self.root / "tls")
            tls = (
                f"olcTLSCACertificateFile: {self.ca_file}\n"
                f"olcTLSCertificateFile: {cert}\nolcTLSCertificateKeyFile: {key}\n"
            )
        return f"""dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: {self.root}/slapd.pid
olcArgsFile: {self.root}/slapd.args
{tls}
dn: cn=module{{0}},cn=config
objectClass: olcModuleList
cn: module{{0}}
olcModulePath: /usr/lib/ldap
olcModuleLoad: back_mdb

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

{includes}

dn: olcDatabase={{0}}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {{0}}config
olcAccess: to * by * none

dn: olcDatabase={{1}}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {{1}}mdb
olcDbDirectory: {self.root}/data
olcSuffix: {SUFFIX}
olcRootDN: {ROOT_DN}
olcRootPW: {self.root_password}
olcDbIndex: objectClass eq
olcDbIndex: uid,cn,member eq
olcAccess: to attrs=userPassword by self write by anonymous auth by * none
olcAccess: to * by users read by * none
"""

    def configure(self) -> None:
        """Build the cn=config directory and the empty database."""
        for name in ("config", "data"):
            path = self.root / name
            if path.exists():
                shutil.rmtree(path)
            path.mkdir(parents=True)
        config = self.root / "config.ldif"
        config.write_text(self._config_ldif())
        self._run([self._tool("slapadd"), "-n0", "-F", str(self.root / "config"), "-l", str(config)])

    def start(self) -> None:
        """Configure, start slapd on a free port, wait until it answers and load the baseline."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.configure()
        error = "not started"
        for _attempt in range(_BIND_ATTEMPTS):
            self.port = free_port()
            self.ldaps_port = free_port() if self.tls else 0
            self._spawn()
            try:
                self._wait_ready()
                break
            except SlapdError as exc:  # most likely the port was taken between probe and bind
                error = str(exc)
                self.stop()
        else:
            raise SlapdError(error)
        self.reset()

    def _spawn(self) -> None:
        with self.log_path.open("ab") as log:
            # -d 0: stay in the foreground (so the PID is ours to signal) and log nothing but errors.
            self.process = subprocess.Popen(
                [
                    self._tool("slapd"),
                    "-h",
                    f"{self.url} {self.ldaps_url}" if self.tls else self.url,
                    "-F",
                    str(self.root / "config"),
                    "-d",
                    "0",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=terminate_with_parent,
            )

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise SlapdError(f"slapd exited with status {self.process.returncode}\n{self.log_tail()}")
            result = subprocess.run(
                [self._tool("ldapwhoami"), "-x", "-H", self.url, "-D", ROOT_DN, "-w", self.root_password],
                capture_output=True,
                text=True,
                timeout=10,
            )
            if result.returncode == 0:
                return
            time.sleep(0.1)
        raise SlapdError(
            f"slapd did not answer on {self.url} within {_START_TIMEOUT:.0f}s\n{self.log_tail()}"
        )

    def _client(self, tool: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return self._run(
            [self._tool(tool), "-x", "-H", self.url, "-D", ROOT_DN, "-w", self.root_password, *args], stdin
        )

    def add(self, ldif: str) -> None:
        """Add the entries of `ldif` (ldapadd as the root DN)."""
        self._client("ldapadd", stdin=ldif)

    def modify(self, ldif: str) -> None:
        """Apply an LDIF change record (ldapmodify as the root DN)."""
        self._client("ldapmodify", stdin=ldif)

    def delete(self, *dns: str) -> None:
        """Delete entries (ldapdelete as the root DN)."""
        self._client("ldapdelete", *dns)

    def remove_member(self, group: str, member: str) -> None:
        """Take the DN `member` out of the group `group` (a DN)."""
        self.modify(f"dn: {group}\nchangetype: modify\ndelete: member\nmember: {member}\n")

    def add_member(self, group: str, member: str) -> None:
        self.modify(f"dn: {group}\nchangetype: modify\nadd: member\nmember: {member}\n")

    def reset(self) -> None:
        """Put back the baseline directory: delete the whole tree and add BASELINE_ENTRIES."""
        exists = subprocess.run(
            [
                self._tool("ldapsearch"),
                "-x",
                "-H",
                self.url,
                "-D",
                ROOT_DN,
                "-w",
                self.root_password,
                "-b",
                SUFFIX,
                "-s",
                "base",
                "dn",
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
        if exists.returncode == 0:
            self._client("ldapdelete", "-r", SUFFIX)
        elif exists.returncode != 32:  # 32: noSuchObject, the empty database
            raise SlapdError(f"ldapsearch exited {exists.returncode}: {exists.stderr.strip()}")
        self.add("\n".join(BASELINE_ENTRIES))

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        """SIGTERM slapd by its PID (SIGKILL if it does not exit in time)."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=_STOP_GRACE)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)
