"""A real, throwaway PostgreSQL server for the tests, on the loopback address, with TLS.

The server's programs come from the ``pgserver`` wheel (the ``[test]`` extra ships PostgreSQL
itself), else from this computer's installation (Debian's ``postgresql`` package). PostgreSQL
refuses to run as root: as root, the server runs as the unprivileged system user
``ecgws-pg`` (created when missing). The data folder, a self-signed certificate and the
administrator's password live in a temporary folder that is removed with the server.
Tests that cannot start one skip, saying why.
"""

from __future__ import annotations

import datetime
import importlib.util
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

SERVER_USER = "ecgws-pg"
ADMIN = "ecgws_admin"


class ServerUnavailable(RuntimeError):
    """No PostgreSQL server could be started here (the reason is the message)."""


def find_binaries() -> Path:
    """The folder holding ``initdb`` and ``postgres``: this computer's installation first
    (Debian's is built with TLS), else the ``pgserver`` wheel's (built without)."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (folder / "initdb").exists():
            return folder
    spec = importlib.util.find_spec("pgserver")  # located, not imported: its import has effects
    for root in (spec.submodule_search_locations or []) if spec else []:
        if (Path(root) / "pginstall" / "bin" / "initdb").exists():
            return Path(root) / "pginstall" / "bin"
    raise ServerUnavailable("no PostgreSQL programs: install the [test] extra (pgserver) or "
                            "the postgresql package")


def supports_tls(binaries: Path) -> bool:
    """Whether this build of PostgreSQL was built with OpenSSL."""
    config = binaries / "pg_config"
    if not config.exists():
        return False
    done = subprocess.run([str(config), "--configure"], capture_output=True, text=True)
    return "--with-openssl" in done.stdout or "--with-ssl=openssl" in done.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1/localhost (the CA is itself)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "server.crt", folder / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.TraditionalOpenSSL,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    return cert_path, key_path


def _ensure_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(SERVER_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                        SERVER_USER], check=True, capture_output=True)
        return pwd.getpwnam(SERVER_USER)


@dataclass
class PostgresServer:
    """A running server: ``url(user)`` names its ``ecgws`` database as ``user`` over TLS."""

    folder: Path
    port: int
    admin_password: str
    ca_file: Path
    process: subprocess.Popen | None = None
    tls: bool = True
    passwords: dict[str, str] = field(default_factory=dict)
    relays: set[int] = field(default_factory=set)

    def url(self, user: str = ADMIN, *, tls: bool | None = None,
            database: str = "ecgws") -> str:
        """The database as ``user``: over verified TLS when the build has it (or ``tls``)."""
        tls = self.tls if tls is None else tls
        query = (f"?sslmode=verify-full&sslrootcert={self.ca_file}" if tls
                 else "?sslmode=disable")
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}{query}"

    @property
    def passfile(self) -> Path:
        return self.folder / "pgpass"

    def set_password(self, user: str, password: str, *, port: int | None = None) -> None:
        """Remember ``user``'s password in this server's pgpass file (libpq's own mechanism);
        ``port``: also for connections through a relay on that port."""
        self.passwords[user] = password
        if port is not None:
            self.relays.add(port)
        lines = [f"127.0.0.1:{p}:*:{u}:{pw}" for u, pw in self.passwords.items()
                 for p in (self.port, *sorted(self.relays))]
        self.passfile.write_text("\n".join(lines) + "\n")
        self.passfile.chmod(0o600)

    def admin_sql(self, sql: str, database: str = "ecgws") -> None:
        import psycopg

        with psycopg.connect(self.url(database=database), autocommit=True,
                             passfile=str(self.passfile)) as conn:
            conn.execute(sql)

    def create_login(self, user: str, password: str) -> None:
        """A login role with a password (the administrator's job on a real server)."""
        import psycopg.sql as pgsql

        self.set_password(user, password)
        self.admin_sql(pgsql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
            pgsql.Identifier(user), pgsql.Literal(password)).as_string())

    def terminate_connections(self, user: str) -> int:
        """Cut every connection of ``user`` (as a network failure would); how many were cut."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True, passfile=str(self.passfile)) as conn:
            rows = conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                "WHERE usename = %s", [user]).fetchall()
        return len(rows)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # "smart" shutdown: SIGTERM to the postmaster we started
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        shutil.rmtree(self.folder, ignore_errors=True)


def start_server() -> PostgresServer:
    """Start a throwaway server on 127.0.0.1 (ServerUnavailable, saying why, when it cannot)."""
    binaries = find_binaries()
    folder = Path(tempfile.mkdtemp(prefix="ecgws-pg-"))
    folder.chmod(0o755)
    run_as: dict = {}
    if os.geteuid() == 0:
        entry = _ensure_user()
        run_as = {"user": entry.pw_uid, "group": entry.pw_gid}
        _open_up(binaries.parent)
    data = folder / "data"
    data.mkdir()
    password = secrets.token_urlsafe(18)
    pwfile = folder / "pw"
    pwfile.write_text(password + "\n")
    cert, key = _certificate(folder)
    if run_as:
        for path in (folder, data, pwfile, cert, key):
            os.chown(path, run_as["user"], run_as["group"])
    server = PostgresServer(folder, _free_port(), password, cert, tls=supports_tls(binaries))
    try:
        _initdb(binaries, data, pwfile, run_as)
        pwfile.unlink()
        _configure(data, server.port, cert, key, folder, server.tls)
        with open(folder / "server.log", "wb") as log_file:  # the child keeps its own copy
            server.process = subprocess.Popen(
                [str(binaries / "postgres"), "-D", str(data)], stdout=subprocess.DEVNULL,
                stderr=log_file, start_new_session=True, preexec_fn=_die_with_parent,
                **run_as)
        _wait_ready(server)
        server.set_password(ADMIN, password)
        server.admin_sql("CREATE DATABASE ecgws", database="postgres")
    except BaseException as exc:
        log = (folder / "server.log").read_text(errors="replace")[-800:] \
            if (folder / "server.log").exists() else ""
        server.stop()
        if isinstance(exc, (OSError, subprocess.SubprocessError, ServerUnavailable)):
            raise ServerUnavailable(f"PostgreSQL did not start: {exc} {log}") from exc
        raise
    return server


def _die_with_parent() -> None:
    """Linux: the server gets SIGTERM when the test run dies, killed or not."""
    try:
        import ctypes
        import signal

        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _open_up(prefix: Path) -> None:
    """Let the server's user read the programs and libraries (a root-only venv otherwise)."""
    for path in [prefix, *prefix.rglob("*")]:
        mode = path.stat().st_mode
        wanted = mode | 0o044 | (0o011 if path.is_dir() or mode & 0o100 else 0)
        if wanted != mode:
            path.chmod(wanted)
    for parent in prefix.parents:
        if parent.stat().st_mode & 0o011 != 0o011:
            parent.chmod(parent.stat().st_mode | 0o011)


def _initdb(binaries: Path, data: Path, pwfile: Path, run_as: dict) -> None:
    done = subprocess.run([str(binaries / "initdb"), "-D", str(data), "-U", ADMIN,
                           "--auth=scram-sha-256", f"--pwfile={pwfile}", "--encoding=UTF8",
                           "--no-instructions"],
                          capture_output=True, text=True, timeout=120, **run_as)
    if done.returncode != 0:
        raise ServerUnavailable(f"initdb failed: {done.stderr.strip()[-500:]}")


def _configure(data: Path, port: int, cert: Path, key: Path, folder: Path, tls: bool) -> None:
    ssl = f"ssl = on\nssl_cert_file = '{cert}'\nssl_key_file = '{key}'\n" if tls else ""
    with (data / "postgresql.conf").open("a") as conf:
        conf.write(f"\nlisten_addresses = '127.0.0.1'\nport = {port}\n"
                   f"unix_socket_directories = '{folder}'\n{ssl}"
                   "max_connections = 40\nshared_buffers = 32MB\nfsync = off\n")
    # TLS or not as the client asks; a password (SCRAM) either way; loopback only
    (data / "pg_hba.conf").write_text(
        "local all all scram-sha-256\n"
        "hostssl all all 127.0.0.1/32 scram-sha-256\n"
        "hostnossl all all 127.0.0.1/32 scram-sha-256\n")


def _wait_ready(server: PostgresServer, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.process is not None and server.process.poll() is not None:
            raise ServerUnavailable(f"the server exited with {server.process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", server.port), timeout=1):
                pass
            server.set_password(ADMIN, server.admin_password)
            server.admin_sql("SELECT 1", database="postgres")
            return
        except Exception:  # noqa: BLE001  not accepting connections yet
            time.sleep(0.3)
    raise ServerUnavailable(f"the server did not accept connections within {timeout_s:.0f} s")


class LoopbackProxy:
    """A TCP relay on 127.0.0.1 in front of the server: ``close()`` is the network going away
    (every connection through it drops, new ones are refused), ``open()`` brings it back on
    the same port."""

    def __init__(self, target_port: int) -> None:
        import threading

        self.target_port = target_port
        self.port = _free_port()
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._listener: socket.socket | None = None
        self.open()

    def open(self) -> None:
        import threading

        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        import threading

        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            with self._lock:
                self._sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        if self._listener is not None:
            try:  # wakes the thread in accept() (close alone would leave it listening)
                self._listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._listener.close()
            self._listener = None
        with self._lock:
            for s in self._sockets:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()
            self._sockets = []
