"""A real OpenLDAP ``slapd`` for tests, seeded with people and groups.

Built on python-ldap's ``slapdtest.SlapdObject``: each :class:`Directory` runs its own
slapd on 127.0.0.1 (``ldap://`` and ``ldaps://`` on random ports, plus an ``ldapi://``
socket) in its own temp folder, and removes everything on stop (and at exit).

Needs Debian's ``slapd`` and ``ldap-utils`` and the ``python-ldap`` package.

A session-scoped fixture::

    @pytest.fixture(scope="session")
    def directory():
        with Directory() as directory:
            yield directory

    def test_login(directory, settings):
        settings.AUTH_LDAP_SERVER_URI = directory.uri
        settings.AUTH_LDAP_BIND_DN = directory.service_dn
        settings.AUTH_LDAP_BIND_PASSWORD = directory.service_password
        settings.AUTH_LDAP_START_TLS = True
        settings.AUTH_LDAP_CONNECTION_OPTIONS = directory.tls_options()
        ...  # log in as ALICE.uid / ALICE.password

    with directory.down():  # slapd stopped inside the block, same data and port after
        ...

The seeded entries are the module's constants (``ALICE``, ``ADMINS_DN``, ...). Tests that
add entries (``add_user``, ``add_group``) should remove them again, or use their own
module-scoped ``Directory``.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import hashlib
import io
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self


def _short_temp_root() -> str:
    """A short temp folder: the ldapi socket path must stay under 108 bytes."""
    if os.path.isdir("/tmp") and os.access("/tmp", os.W_OK):
        return "/tmp"
    return tempfile.gettempdir()


def _import_slapdtest() -> Any:
    """Import slapdtest with TMP pointing at a short folder (it reads TMP at import)."""
    saved = os.environ.get("TMP")
    os.environ["TMP"] = _short_temp_root()
    try:
        import slapdtest
    finally:
        if saved is None:
            del os.environ["TMP"]
        else:
            os.environ["TMP"] = saved
    return slapdtest


slapdtest = _import_slapdtest()

import ldap  # noqa: E402  (after slapdtest, which switches off ~/.ldaprc)
import ldap.modlist  # noqa: E402
import ldif  # noqa: E402

from tests.services.process import START_TIMEOUT  # noqa: E402

BASE_DN = "dc=example,dc=org"
PEOPLE_DN = f"ou=people,{BASE_DN}"
GROUPS_DN = f"ou=groups,{BASE_DN}"
SERVICES_DN = f"ou=services,{BASE_DN}"

ROOT_DN = f"cn=admin,{BASE_DN}"
ROOT_PASSWORD = "root-test-password"

SERVICE_DN = f"cn=homeportal,{SERVICES_DN}"
SERVICE_PASSWORD = "service-test-password"


@dataclass(frozen=True)
class LdapUser:
    """An ``inetOrgPerson`` under ``ou=people``."""

    uid: str
    password: str
    cn: str
    sn: str
    display_name: str
    mail: str

    @property
    def dn(self) -> str:
        return f"uid={ldap.dn.escape_dn_chars(self.uid)},{PEOPLE_DN}"


def _user(uid: str, first: str, last: str) -> LdapUser:
    return LdapUser(
        uid=uid,
        password=f"{uid}-ldap-password",
        cn=f"{first} {last}",
        sn=last,
        display_name=first,
        mail=f"{first.lower()}@example.org",
    )


ALICE = _user("alice", "Alice", "Anderson")
BOB = _user("bob", "Bob", "Brown")
CAROL = _user("carol", "Carol", "Clark")
DAVE = _user("dave", "Dave", "Davis")  # in no group at all
# Parentheses, an asterisk and an apostrophe: a search filter must escape them (RFC 4515).
SPECIAL = LdapUser(
    uid="o'brien(x)*",
    password="special-ldap-password",
    cn="Pat O'Brien",
    sn="O'Brien",
    display_name="Pat",
    mail="pat.obrien@example.org",
)
USERS: tuple[LdapUser, ...] = (ALICE, BOB, CAROL, DAVE, SPECIAL)

# groupOfNames, member: ALICE
ADMINS_DN = f"cn=admins,{GROUPS_DN}"
# groupOfUniqueNames, uniqueMember: ALICE, BOB
FAMILY_DN = f"cn=family,{GROUPS_DN}"
# posixGroup (gidNumber 5001), memberUid: bob, carol
MEDIA_DN = f"cn=media,{GROUPS_DN}"
MEDIA_GID = 5001
# groupOfNames, member: ALICE, BOB, CAROL, SPECIAL (everyone but DAVE)
USERS_DN = f"cn=users,{GROUPS_DN}"
# Nested groupOfNames: STAFF contains the group HELPERS, which contains CAROL.
STAFF_DN = f"cn=staff,{GROUPS_DN}"
HELPERS_DN = f"cn=helpers,{GROUPS_DN}"

GROUP_OF_NAMES = "groupOfNames"
GROUP_OF_UNIQUE_NAMES = "groupOfUniqueNames"
POSIX_GROUP = "posixGroup"
_MEMBER_ATTRIBUTE = {
    GROUP_OF_NAMES: "member",
    GROUP_OF_UNIQUE_NAMES: "uniqueMember",
    POSIX_GROUP: "memberUid",
}

_ACL = f"""olcAccess: {{0}}to attrs=userPassword
  by self =xw
  by anonymous auth
  by * none
olcAccess: {{1}}to *
  by dn.exact="{SERVICE_DN}" read
  by self read
  by users read
  by anonymous auth
  by * none
"""


_GLOBAL_TEMPLATE, _DATABASE_TEMPLATE = slapdtest.SlapdObject.slapd_conf_template.split(
    "\ndn: olcDatabase="
)
_DATABASE_TEMPLATE = "dn: olcDatabase=" + _DATABASE_TEMPLATE + _ACL


def ssha(password: str) -> str:
    """A salted SHA-1 ``userPassword`` value, as slapd stores it by default."""
    salt = secrets.token_bytes(8)
    digest = hashlib.sha1(password.encode() + salt).digest()
    return "{SSHA}" + base64.b64encode(digest + salt).decode("ascii")


class _Slapd(slapdtest.SlapdObject):
    """slapdtest's server, on the example.org suffix, also listening on ``ldaps://``."""

    suffix = BASE_DN
    root_cn = "admin"
    root_pw = ROOT_PASSWORD
    slapd_loglevel = "0"
    slapd_conf_template = _GLOBAL_TEMPLATE
    openldap_schema_files = ("core.ldif", "cosine.ldif", "nis.ldif", "inetorgperson.ldif")

    def __init__(self, tmpdir: str) -> None:
        self.TMPDIR = tmpdir
        super().__init__()
        self.ldaps_port = self._avail_tcp_port()
        self.ldaps_uri = f"ldaps://{self.local_host}:{self.ldaps_port}/"

    def _write_config(self) -> None:
        # The ACL names the service account's DN, which slapd can only parse once the
        # schemas are in: add the database entry after them.
        super()._write_config()
        self.slapd_conf_template = _DATABASE_TEMPLATE
        try:
            self.slapadd(self.gen_config(), ["-n0"])
        finally:
            del self.slapd_conf_template

    def _start_slapd(self) -> None:
        # Same as SlapdObject._start_slapd, with the ldaps:// URL added.
        urls = [self.ldap_uri, self.ldaps_uri]
        if self.ldapi_uri:
            urls.append(self.ldapi_uri)
        args = [self.PATH_SLAPD, "-F", self._slapd_conf, "-h", " ".join(urls), "-d", "0"]
        self._proc = subprocess.Popen(args, stdin=subprocess.DEVNULL)
        if not _wait_for(self._probe, self._proc, seconds=START_TIMEOUT):
            self._stopped()
            raise RuntimeError("slapd did not start")

    def _probe(self) -> bool:
        try:
            self.ldapwhoami()
        except RuntimeError:
            return False
        return True


def _wait_for(probe: Callable[[], bool], proc: subprocess.Popen[bytes], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        if probe():
            return True
        time.sleep(0.05)
    return False


class Directory:
    """A seeded slapd: start/stop/restart, URIs, CA files, accounts and write helpers."""

    root_dn = ROOT_DN
    root_password = ROOT_PASSWORD
    service_dn = SERVICE_DN
    service_password = SERVICE_PASSWORD
    base_dn = BASE_DN

    def __init__(self) -> None:
        self._server: _Slapd | None = None
        self._tmpdir: str | None = None
        self._wrong_cafile: str | None = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- life cycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Start a fresh slapd with the seeded entries (new ports, new data)."""
        if self._server is not None:
            return
        self._tmpdir = tempfile.mkdtemp(prefix="hp-slapd-", dir=_short_temp_root())
        atexit.register(self.stop)
        try:
            self._server = self._start_server(self._tmpdir)
            self._server.ldapadd(seed_ldif())
        except BaseException:
            self.stop()
            raise

    @staticmethod
    def _start_server(tmpdir: str) -> _Slapd:
        # The free ports are picked before slapd binds them: on a clash, pick new ones.
        for attempt in range(3):
            server = _Slapd(tmpdir)
            try:
                server.start()
            except RuntimeError:
                server.stop()
                if attempt == 2:
                    raise
            else:
                return server
        raise AssertionError("unreachable")

    def stop(self) -> None:
        """Stop slapd and remove its data (safe to call twice)."""
        atexit.unregister(self.stop)
        server, self._server = self._server, None
        if server is not None:
            server.stop()
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None
            self._wrong_cafile = None

    def pause(self) -> None:
        """Stop the slapd process but keep its data and ports (see ``resume``)."""
        server = self._running()
        if server._proc is not None:
            server.terminate()
            server.wait()

    def resume(self) -> None:
        """Start the paused slapd again on the same ports with the same data."""
        server = self._running()
        if server._proc is None:
            server.resume()

    def restart(self) -> None:
        """Stop and start the slapd process; data and ports stay."""
        self.pause()
        self.resume()

    @contextlib.contextmanager
    def down(self) -> Iterator[None]:
        """``with directory.down():`` connections fail inside the block."""
        self.pause()
        try:
            yield
        finally:
            self.resume()

    @property
    def running(self) -> bool:
        return self._server is not None and self._server._proc is not None

    def _running(self) -> _Slapd:
        if self._server is None:
            raise RuntimeError("the directory is not started")
        return self._server

    # --- where and how to connect ----------------------------------------------------------

    @property
    def uri(self) -> str:
        """``ldap://127.0.0.1:PORT`` (plain, or StartTLS with ``cafile``)."""
        return self._running().ldap_uri.rstrip("/")

    @property
    def ldaps_uri(self) -> str:
        """``ldaps://127.0.0.1:PORT`` (TLS from the first byte, with ``cafile``)."""
        return self._running().ldaps_uri.rstrip("/")

    @property
    def cafile(self) -> str:
        """The CA that signed slapd's certificate (for 127.0.0.1 and localhost)."""
        return self._running().cafile

    @property
    def wrong_cafile(self) -> str:
        """A self-signed CA unrelated to slapd's certificate: TLS must fail with it."""
        if self._wrong_cafile is None:
            self._running()
            assert self._tmpdir is not None
            self._wrong_cafile = make_unrelated_ca(Path(self._tmpdir))
        return self._wrong_cafile

    def tls_options(self, cafile: str | None = None) -> dict[int, Any]:
        """Per-connection python-ldap options trusting ``cafile`` (default: the right CA).

        For django-auth-ldap's ``AUTH_LDAP_CONNECTION_OPTIONS``. Prefer these to global
        options: a global CA file stays set for every later test of the process. The
        order matters: ``OPT_X_TLS_NEWCTX`` comes last.
        """
        return {
            ldap.OPT_X_TLS_CACERTFILE: cafile or self.cafile,
            ldap.OPT_X_TLS_REQUIRE_CERT: ldap.OPT_X_TLS_DEMAND,
            ldap.OPT_X_TLS_NEWCTX: 0,
        }

    def connect(
        self,
        bind_dn: str | None = None,
        password: str | None = None,
        *,
        uri: str | None = None,
        start_tls: bool = False,
        cafile: str | None = None,
    ) -> Any:
        """A python-ldap connection, bound as ``bind_dn`` (anonymous when None).

        ``cafile`` defaults to the right CA for ``start_tls`` and ``ldaps://``.
        The caller unbinds it (``conn.unbind_s()``).
        """
        uri = uri or self.uri
        conn = ldap.initialize(uri)
        conn.set_option(ldap.OPT_PROTOCOL_VERSION, 3)
        conn.set_option(ldap.OPT_REFERRALS, 0)
        conn.set_option(ldap.OPT_NETWORK_TIMEOUT, 5.0)
        conn.set_option(ldap.OPT_TIMEOUT, 10.0)
        if start_tls or uri.startswith("ldaps://") or cafile:
            for option, value in self.tls_options(cafile).items():
                conn.set_option(option, value)
        try:
            if start_tls:
                conn.start_tls_s()
            if bind_dn is not None:
                conn.simple_bind_s(bind_dn, password or "")
        except ldap.LDAPError:
            conn.unbind_s()
            raise
        return conn

    @contextlib.contextmanager
    def admin(self) -> Iterator[Any]:
        """``with directory.admin() as conn:`` a connection bound as the rootdn."""
        conn = self.connect(self.root_dn, self.root_password)
        try:
            yield conn
        finally:
            conn.unbind_s()

    # --- changing the directory at run time ------------------------------------------------

    def add_user(
        self,
        uid: str,
        password: str,
        *,
        cn: str = "",
        mail: str = "",
        display_name: str = "",
        groups: Iterable[str] = (),
    ) -> LdapUser:
        """Add an inetOrgPerson under ou=people and put it in the given groups (DNs)."""
        user = LdapUser(
            uid=uid,
            password=password,
            cn=cn or uid,
            sn=(cn or uid).split()[-1],
            display_name=display_name or cn or uid,
            mail=mail or f"{uid}@example.org",
        )
        dn, attrs = _user_entry(user)
        with self.admin() as conn:
            conn.add_s(dn, ldap.modlist.addModlist(attrs))
        for group_dn in groups:
            self.add_member(group_dn, user)
        return user

    def add_group(
        self,
        cn: str,
        members: Sequence[LdapUser | str],
        kind: str = GROUP_OF_NAMES,
        gid_number: int = 6000,
    ) -> str:
        """Add a group under ou=groups; members are users or DNs (uids for posixGroup)."""
        dn = f"cn={ldap.dn.escape_dn_chars(cn)},{GROUPS_DN}"
        values = [_member_value(m, kind) for m in members]
        attrs = _group_entry(cn, kind, values, gid_number)
        with self.admin() as conn:
            conn.add_s(dn, ldap.modlist.addModlist(attrs))
        return dn

    def add_member(self, group_dn: str, member: LdapUser | str) -> None:
        """Add a user (or a DN) to a group of any of the three kinds."""
        kind = self._group_kind(group_dn)
        value = _member_value(member, kind).encode()
        with self.admin() as conn:
            conn.modify_s(group_dn, [(ldap.MOD_ADD, _MEMBER_ATTRIBUTE[kind], [value])])

    def remove_member(self, group_dn: str, member: LdapUser | str) -> None:
        kind = self._group_kind(group_dn)
        value = _member_value(member, kind).encode()
        with self.admin() as conn:
            conn.modify_s(group_dn, [(ldap.MOD_DELETE, _MEMBER_ATTRIBUTE[kind], [value])])

    def set_password(self, dn: str, password: str) -> None:
        with self.admin() as conn:
            conn.modify_s(dn, [(ldap.MOD_REPLACE, "userPassword", [ssha(password).encode()])])

    def modify(self, dn: str, attrs: dict[str, Sequence[str]]) -> None:
        """Replace attributes of an entry (an empty list deletes the attribute)."""
        changes = [(ldap.MOD_REPLACE, name, [v.encode() for v in vs]) for name, vs in attrs.items()]
        with self.admin() as conn:
            conn.modify_s(dn, changes)

    def delete(self, dn: str) -> None:
        with self.admin() as conn:
            conn.delete_s(dn)

    def _group_kind(self, group_dn: str) -> str:
        with self.admin() as conn:
            [(_, attrs)] = conn.search_s(group_dn, ldap.SCOPE_BASE, attrlist=["objectClass"])
        classes = {c.decode().lower() for c in attrs["objectClass"]}
        for kind in _MEMBER_ATTRIBUTE:
            if kind.lower() in classes:
                return kind
        raise ValueError(f"{group_dn} is not a group")


# --- the seed ------------------------------------------------------------------------------


def _member_value(member: LdapUser | str, kind: str) -> str:
    if isinstance(member, LdapUser):
        return member.uid if kind == POSIX_GROUP else member.dn
    return member


def _user_entry(user: LdapUser) -> tuple[str, dict[str, list[bytes]]]:
    return user.dn, _encode(
        {
            "objectClass": ["top", "person", "organizationalPerson", "inetOrgPerson"],
            "uid": [user.uid],
            "cn": [user.cn],
            "sn": [user.sn],
            "givenName": [user.display_name],
            "displayName": [user.display_name],
            "mail": [user.mail],
            "userPassword": [ssha(user.password)],
        }
    )


def _group_entry(
    cn: str, kind: str, members: Sequence[str], gid_number: int = 0
) -> dict[str, list[bytes]]:
    attrs: dict[str, list[str]] = {"objectClass": ["top", kind], "cn": [cn]}
    if kind == POSIX_GROUP:
        attrs["gidNumber"] = [str(gid_number)]
    if members:
        attrs[_MEMBER_ATTRIBUTE[kind]] = list(members)
    return _encode(attrs)


def _encode(attrs: dict[str, list[str]]) -> dict[str, list[bytes]]:
    return {name: [value.encode() for value in values] for name, values in attrs.items()}


def _seed_entries() -> list[tuple[str, dict[str, list[bytes]]]]:
    def ou(dn: str, name: str) -> tuple[str, dict[str, list[bytes]]]:
        return dn, _encode({"objectClass": ["top", "organizationalUnit"], "ou": [name]})

    def group(dn: str, kind: str, members: Sequence[str]) -> tuple[str, dict[str, list[bytes]]]:
        return dn, _group_entry(ldap.dn.str2dn(dn)[0][0][1], kind, members, MEDIA_GID)

    return [
        (
            BASE_DN,
            _encode(
                {
                    "objectClass": ["top", "dcObject", "organization"],
                    "dc": ["example"],
                    "o": ["Example"],
                }
            ),
        ),
        ou(PEOPLE_DN, "people"),
        ou(GROUPS_DN, "groups"),
        ou(SERVICES_DN, "services"),
        (
            SERVICE_DN,
            _encode(
                {
                    "objectClass": ["top", "applicationProcess", "simpleSecurityObject"],
                    "cn": ["homeportal"],
                    "description": ["homeportal's read-only service account"],
                    "userPassword": [ssha(SERVICE_PASSWORD)],
                }
            ),
        ),
        *(_user_entry(user) for user in USERS),
        group(ADMINS_DN, GROUP_OF_NAMES, [ALICE.dn]),
        group(FAMILY_DN, GROUP_OF_UNIQUE_NAMES, [ALICE.dn, BOB.dn]),
        group(MEDIA_DN, POSIX_GROUP, [BOB.uid, CAROL.uid]),
        group(USERS_DN, GROUP_OF_NAMES, [ALICE.dn, BOB.dn, CAROL.dn, SPECIAL.dn]),
        group(HELPERS_DN, GROUP_OF_NAMES, [CAROL.dn]),
        group(STAFF_DN, GROUP_OF_NAMES, [HELPERS_DN]),
    ]


def seed_ldif() -> str:
    """The seeded directory as LDIF (base entry included)."""
    out = io.StringIO()
    writer = ldif.LDIFWriter(out)
    for dn, attrs in _seed_entries():
        writer.unparse(dn, attrs)
    return out.getvalue()


def make_unrelated_ca(folder: Path) -> str:
    """Write a fresh self-signed CA certificate with ``openssl``; return its path."""
    cert = folder / "unrelated-ca.pem"
    key = folder / "unrelated-ca.key"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec",
            "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", str(key), "-out", str(cert), "-days", "2",
            "-subj", "/O=homeportal tests/CN=Unrelated Test CA",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return str(cert)
