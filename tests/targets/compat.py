"""compat: what the test targets use from Python 3.7/3.8 made available on
3.6 and 3.7, so every target runs on every interpreter pytop supports.

    threading.get_native_id / _thread.get_native_id (3.8): gettid(2)
    time.thread_time (3.7): clock_gettime(CLOCK_THREAD_CPUTIME_ID)
    time.thread_time_ns (3.7)
    time.pthread_getcpuclockid (3.7): pthread_getcpuclockid(3)
    threading.Thread.native_id (3.8): set by each thread as it starts
    http.server.ThreadingHTTPServer (3.7)

A target imports it first (`import compat`); a target copied alone into a
chroot (3.14+) finds no compat.py and needs none.
"""
import _thread
import threading
import time

if not hasattr(threading, "get_native_id"):
    import ctypes
    _libc = ctypes.CDLL(None, use_errno=True)
    # x86-64's gettid is syscall 186; the same number the kernel shows.
    threading.get_native_id = lambda: _libc.syscall(186)
    _thread.get_native_id = threading.get_native_id
if not hasattr(time, "thread_time"):
    time.thread_time = lambda: time.clock_gettime(time.CLOCK_THREAD_CPUTIME_ID)
if not hasattr(time, "thread_time_ns"):
    time.thread_time_ns = lambda: int(time.clock_gettime(time.CLOCK_THREAD_CPUTIME_ID) * 1e9)
if not hasattr(time, "pthread_getcpuclockid"):
    import ctypes

    def _pthread_getcpuclockid(ident):
        clock = ctypes.c_int()
        err = ctypes.CDLL(None).pthread_getcpuclockid(
            ctypes.c_ulong(ident), ctypes.byref(clock))
        if err:
            raise OSError(err, "pthread_getcpuclockid")
        return clock.value

    time.pthread_getcpuclockid = _pthread_getcpuclockid
if not hasattr(threading.Thread, "native_id"):
    # Thread.native_id (3.8): recorded by the thread itself as it starts
    # (_set_ident runs in the new thread, and leaves no frame behind).
    _set_ident = threading.Thread._set_ident

    def _set_ident_and_native_id(self):
        _set_ident(self)
        self._native_id = threading.get_native_id()

    threading.Thread._set_ident = _set_ident_and_native_id
    threading.Thread.native_id = property(lambda self: getattr(self, "_native_id", None))
    threading.main_thread()._native_id = threading.get_native_id() \
        if threading.current_thread() is threading.main_thread() else None
import sys  # noqa: E402
if sys.version_info < (3, 7):
    # http.server.ThreadingHTTPServer (3.7): a thread per request.
    import http.server
    import socketserver

    class ThreadingHTTPServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True

    http.server.ThreadingHTTPServer = ThreadingHTTPServer
