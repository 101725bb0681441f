"""``fakewatch serve --workers N``: N server processes on one port, for more than one core.

One Python process checks links on one core at a time (the GIL), so a 2-core host answers
about twice the requests with two. The supervisor (this module) starts the workers as
ordinary ``fakewatch serve`` processes that bind the same port with SO_REUSEPORT; the kernel
spreads connections over them. It holds the port (bound, not listening, so no connection
waits on it) from before the first worker starts until all are up, so ``--port 0`` means
one free port for all of them.

What stays single-process, and how:

- The database: one SQLite file in WAL mode. Each worker's writes (the report writer's
  group commits, keys, lists) are transactions with a busy timeout, so they queue safely.
  The first worker starts alone and applies migrations and creates the shared secrets
  (reporter salt, CSRF secret) before the others open the file.
- Scheduled jobs: federation pulls and webhook deliveries run in the first worker only
  (``FAKEWATCH_SCHEDULED_JOBS=false`` for the others), so nothing is pulled or delivered
  twice. An alert raised in another worker is delivered on the first worker's next tick.
- Caches: list, person and known-fake indexes are reloaded by every worker when the
  database's version changes; API keys re-read the revocation count, so a revoke made in
  one worker holds in all.
- Per process, by design: rate limits (a client spread over N workers gets up to N times
  the per-minute budget) and ``/metrics`` (each scrape sees the worker that answered).

The supervisor speaks for the group to systemd (``Type=notify``, ``sd_notify``): ``READY=1``
when every worker listens, ``STOPPING=1`` when it begins to stop them.

On SIGTERM the supervisor stops the other workers, then the first: only the first checkpoints
the WAL into the database file as it closes it (``Database.close``), alone by then.

A worker that dies stops the whole group with its exit code: the service manager that
started ``fakewatch serve`` restarts it, as it would a single process. A supervisor that dies
takes its workers with it (``PR_SET_PDEATHSIG``), so a restart never runs beside old workers,
and a port some other process listens on is refused before any worker starts.

Linux only: elsewhere SO_REUSEPORT is missing (Windows) or does not spread connections
(macOS, the BSDs); run one process per port there, behind a proxy.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import selectors
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import IO

from server.settings import Settings

#: Seconds a worker may take to print READY (it loads lists and models first).
READY_TIMEOUT_S = 120.0
#: Seconds workers get to finish after SIGTERM before they are killed.
STOP_TIMEOUT_S = 15.0
MAX_WORKERS = 64


class WorkerFailed(Exception):
    """A worker could not start or died; the message says which and how."""


def sd_notify(state: str) -> bool:
    """Tell systemd (``Type=notify``) about this process: ``READY=1`` once ``serve`` listens,
    ``STOPPING=1`` when it begins to stop. A no-op without ``NOTIFY_SOCKET``.

    The protocol (``sd_notify(3)``) without libsystemd: one datagram to the unix socket named
    by ``NOTIFY_SOCKET``, a name starting with '@' being in the abstract namespace. Only the
    process systemd started speaks (``NotifyAccess=main``): the supervisor of ``--workers N``,
    whose workers get no ``NOTIFY_SOCKET``. Returns whether a message was sent; a socket that
    refuses it is reported on stderr (systemd would then time the start out)."""
    path = os.environ.get("NOTIFY_SOCKET", "")
    if not path:
        return False
    address = "\0" + path[1:] if path.startswith("@") else path
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.sendto(state.encode(), address)
    except OSError as exc:
        print(
            f"fakewatch: cannot tell systemd {state.splitlines()[0]} through NOTIFY_SOCKET "
            f"{path}: {exc.strerror or exc}",
            file=sys.stderr,
            flush=True,
        )
        return False
    return True


#: How a worker that cannot start says why, on the stdout pipe its supervisor reads until
#: READY (``tell_supervisor``): ``FAILED <the message fakewatch would print>``.
FAILED = b"FAILED "


def tell_supervisor(message: str) -> bool:
    """In a worker of ``serve --workers N`` that has not printed READY: send the supervisor
    the one line that says why this worker stops, for it to print once for the group (the
    worker and the supervisor each printing a line said it twice). Returns whether it was
    sent; False outside a worker, or after READY (the supervisor has closed the pipe), where
    the caller prints the line itself."""
    if not os.environ.get("FAKEWATCH_SUPERVISOR_PID", "").isdigit():
        return False
    line = FAILED + " ".join(message.split()).encode("utf-8", "replace") + b"\n"
    try:
        if not stat.S_ISFIFO(os.fstat(1).st_mode):
            return False
        os.write(1, line)  # unbuffered: a pipe closed after READY fails here, not at exit
    except OSError:
        return False
    return True


def supervise(settings: Settings) -> int:
    """Start ``settings.workers`` workers on one port, print one READY line, wait for SIGTERM
    or SIGINT (or a worker's death), stop them all. Returns the exit code."""
    from server.commands import CommandError

    if not 1 <= settings.workers <= MAX_WORKERS:
        raise CommandError(f"--workers must be between 1 and {MAX_WORKERS}")
    if sys.platform != "linux" or not hasattr(socket, "SO_REUSEPORT"):
        raise CommandError(
            "--workers needs Linux (SO_REUSEPORT spreads connections over processes only "
            "there); run one process per port behind a proxy instead"
        )
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    holder = _hold_port(settings.host, settings.port)
    bound_host, port = holder.getsockname()[:2]
    try:
        claim = _claim_port(settings.host, port)
    except BaseException:
        holder.close()
        raise
    workers: list[subprocess.Popen[bytes]] = []
    try:
        # The first worker alone: it migrates the database and makes the shared secrets.
        workers.append(_start(settings, bound_host, port, first=True))
        _wait_ready(workers[:1], lambda: stopping)
        if stopping:  # SIGTERM while the first worker started: start no more
            return 0
        rest = [
            _start(settings, bound_host, port, first=False, index=number)
            for number in range(1, settings.workers)
        ]
        workers.extend(rest)
        _wait_ready(rest, lambda: stopping)
        holder.close()
        if not stopping:
            # The address bound, as a single process prints it (not a name like localhost).
            host = f"[{bound_host}]" if ":" in bound_host else bound_host
            print(f"READY http://{host}:{port}", flush=True)
            sd_notify(f"READY=1\nSTATUS=READY http://{host}:{port}, {len(workers)} workers")
        code = 0
        while not stopping:
            for number, worker in enumerate(workers):
                if worker.poll() is not None:
                    print(
                        f"fakewatch: worker {number} exited with code {worker.returncode}; "
                        "stopping the others",
                        file=sys.stderr,
                        flush=True,
                    )
                    code = worker.returncode if worker.returncode > 0 else 1
                    stopping = True
                    break
            else:
                time.sleep(0.2)
        return code
    except WorkerFailed as exc:
        raise CommandError(str(exc)) from None
    finally:
        sd_notify("STOPPING=1")
        holder.close()
        _stop_all(workers)
        claim.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _hold_port(host: str, port: int) -> socket.socket:
    """A socket bound (not listening) to ``host:port`` with SO_REUSEPORT: it keeps the port
    for the workers, and the kernel never queues a connection on it."""
    from server.commands import CommandError

    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        holder = socket.socket(family, kind, proto)
    except OSError as exc:
        raise CommandError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    try:
        # First without SO_REUSEPORT: that bind fails if anything already listens on the port
        # (another `serve --workers` group would otherwise share it and split the requests
        # between two databases). With --port 0 it also picks the free port.
        probe = socket.socket(family, kind, proto)
        try:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
            address = probe.getsockname()
        finally:
            probe.close()
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        holder.bind(address)
    except OSError as exc:
        holder.close()
        raise CommandError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return holder


#: ``prctl`` option: the signal this process gets when its parent dies (linux/prctl.h).
_PR_SET_PDEATHSIG = 1


def die_with_supervisor(supervisor_pid: int) -> None:
    """In a worker: get SIGTERM when the supervisor dies (even by SIGKILL), and exit now if
    it already has. Without this a killed supervisor leaves its workers serving the port."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != supervisor_pid:  # it died before the line above took effect
        raise SystemExit(1)


def _claim_port(host: str, port: int) -> IO[bytes]:
    """An exclusive lock on a file named for the port, held for the supervisor's life (the
    kernel drops it when the process dies, even by SIGKILL). The probe bind cannot see
    another group that is still starting (its holder is bound but not listening yet)."""
    import fcntl  # POSIX only: imported here so the module loads anywhere (supervise checks)

    from server.commands import CommandError

    path = Path(tempfile.gettempdir()) / f"fakewatch-serve-port-{port}.lock"
    claim = open(path, "ab")  # noqa: SIM115 -- held open until the group stops
    try:
        fcntl.flock(claim, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        claim.close()
        raise CommandError(
            f"cannot listen on {host}:{port}: another `fakewatch serve --workers` group holds "
            "that port"
        ) from None
    return claim


def _start(
    settings: Settings, host: str, port: int, *, first: bool, index: int = 0
) -> subprocess.Popen[bytes]:
    """One worker: ``fakewatch serve`` on the held port, with this process's settings (the
    environment is inherited; the flags that may have set the rest are passed again). It
    binds the address the supervisor probed and holds (a name like localhost may resolve to
    more addresses than the one probed)."""
    env = dict(os.environ)
    # systemd hears from the supervisor alone (sd_notify): not from each worker.
    env.pop("NOTIFY_SOCKET", None)
    env.update(
        FAKEWATCH_WORKERS="1",
        FAKEWATCH_REUSE_PORT="true",
        FAKEWATCH_SUPERVISOR_PID=str(os.getpid()),
        FAKEWATCH_SCHEDULED_JOBS="true" if first and settings.scheduled_jobs else "false",
        # The first worker checkpoints the WAL when it stops (commands._owns_checkpoint).
        FAKEWATCH_WORKER_INDEX=str(index),
    )
    command = [
        sys.executable,
        "-m",
        "server",
        "serve",
        "--host",
        host,
        "--port",
        str(port),
        "--data-dir",
        str(settings.data_dir),
        "--db",
        str(settings.db),
    ]
    if settings.open_checks:
        command.append("--open-checks")
    return subprocess.Popen(command, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env)


def _wait_ready(workers: list[subprocess.Popen[bytes]], stopping: Callable[[], bool]) -> None:
    """Read each worker's READY line (its only output on stdout), then close the pipe."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    with selectors.DefaultSelector() as selector:
        for worker in workers:
            assert worker.stdout is not None
            selector.register(worker.stdout, selectors.EVENT_READ, worker)
        pending = set(workers)
        while pending:
            if stopping():
                return
            left = deadline - time.monotonic()
            if left <= 0:
                raise WorkerFailed(f"a worker did not print READY within {READY_TIMEOUT_S:.0f} s")
            for key, _ in selector.select(timeout=min(left, 0.5)):
                worker = key.data
                line = worker.stdout.readline()
                if line.startswith(FAILED):  # the worker's own reason, printed once by us
                    raise WorkerFailed(line[len(FAILED) :].decode("utf-8", "replace").strip())
                if line.startswith(b"READY "):
                    selector.unregister(worker.stdout)
                    worker.stdout.close()
                    pending.discard(worker)
                elif not line:  # end of output: the worker exited before it was ready
                    code = worker.wait()
                    raise WorkerFailed(f"a worker exited with code {code} before it was ready")


def _stop_all(workers: list[subprocess.Popen[bytes]]) -> None:
    """The others first, then the first worker: it checkpoints the WAL as it closes the
    database, and with the others gone no reader of theirs can hold the checkpoint back."""
    _stop(workers[1:])
    _stop(workers[:1])


def _stop(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        if worker.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                worker.terminate()
    deadline = time.monotonic() + STOP_TIMEOUT_S
    for worker in workers:
        try:
            worker.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        if worker.stdout is not None and not worker.stdout.closed:
            worker.stdout.close()
