# pytop agent: the code pytop injects into a target to answer trace and watch.
# Plain Python valid on 3.6-3.15 (no f-strings, no walrus). Run by a
# bootstrap that execs this file in a fresh namespace and calls
# start(SOCKET_PATH, TOKEN, PID); nothing is put in sys.modules. It runs in its own
# daemon thread, talks JSON lines over pytop's Unix socket, and on detach,
# socket EOF or any error removes every hook and ends within a second.
import sys
import os
import time
import threading
import json
import difflib
import socket
import select
import builtins
import types
import _thread
from collections import deque as _deque

_MON = getattr(sys, "monitoring", None)
_MAXLINE = 65536          # a command line longer than this is refused
_QUEUE_MAX = 4096         # events waiting for the agent thread; more are dropped
_FLUSH_MAX = 256          # events sent between two looks at pytop's commands
_TREE_NODES_MAX = 2000    # nodes one trace tree records
_STR_MAX = 200            # characters a repr keeps of one string
_REPR_MAX = 1000          # characters of one whole repr
_ITEMS_MAX = 20           # items shown of one container


_SCALARS = (bool, float, type(None))
_CONTAINERS = (dict, list, tuple, set, frozenset)
_CO_GENLIKE = 0x20 | 0x80 | 0x100 | 0x200   # CO_GENERATOR, COROUTINE, ITERABLE_COROUTINE, ASYNC_GENERATOR
_WALK_MAX = 200000        # names one FILE:LINE lookup looks at, at most
_CLASS_DEPTH = 4          # classes nested in classes it looks into


def _qualname(t):
    mod = getattr(t, "__module__", None)
    name = getattr(t, "__qualname__", None) or t.__name__
    return name if mod in (None, "builtins") else "%s.%s" % (mod, name)


def _python_repr(t, names=("__repr__", "__str__")):
    """Does type t (or a class before object on its MRO) define one of names
    (any method when names is None) in Python? Such code may take the
    program's locks: never run."""
    for k in t.__mro__:
        if k is object:
            break
        kd = k.__dict__
        for v in (kd.values() if names is None else [kd.get(n) for n in names]):
            if isinstance(v, types.FunctionType):
                return True
    return False


def _esc(s):
    """s with its C0 controls but tab escaped (a newline cannot forge a line)."""
    s = str(s)
    if not any(c < " " and c != "\t" for c in s):
        return s
    return "".join(c if c >= " " or c == "\t" else ("\\n" if c == "\n" else "\\x%02x" % ord(c)) for c in s)


def _safe_repr(obj, depth):
    """A bounded repr that never raises: containers to depth levels, long
    reprs cut, a repr that raises or recurses as <repr failed: X>. It runs
    in the program's thread, maybe under its locks: a __repr__ or __str__
    the program wrote in Python is never called (<module.Class object at
    0x...> instead); an exception is its class and its args."""
    t = type(obj)
    if t in _SCALARS or (t is int and -10 ** 18 < obj < 10 ** 18):
        return repr(obj)      # the common cases, without the machinery below
    out = []
    budget = [_REPR_MAX]

    def put(s):
        if budget[0] <= 0:
            return
        if len(s) > budget[0]:
            s = s[:budget[0]] + "..."
        budget[0] -= len(s)
        out.append(s)

    def one(o, d, seen):
        t = type(o)
        if t not in _CONTAINERS and t not in _SCALARS and t not in (int, str, bytes):
            if isinstance(o, BaseException):
                put(_qualname(t))
                args = BaseException.args.__get__(o)      # not through a Python __getattribute__
                args = args if type(args) is tuple else ()
                put("(")
                for i, v in enumerate(args[:_ITEMS_MAX]):
                    if i:
                        put(", ")
                    one(v, d - 1, seen)
                put(")")
                return
            if isinstance(o, types.MethodType):
                put("<bound method %s of " % getattr(o.__func__, "__qualname__", "?"))
                one(o.__self__, d - 1, seen)
                put(">")
                return
            if _python_repr(t):
                put("<%s object at 0x%x>" % (_qualname(t), id(o)))
                return
            for base in _CONTAINERS + (_deque,):
                if isinstance(o, base):
                    if _python_repr(t, None):
                        break       # its Python methods could run: opaque
                    # a C subclass (OrderedDict, defaultdict) or a deque: its
                    # items through this repr, not through theirs
                    put(_qualname(t) + "(")
                    one(list(o) if base is _deque else base(o), d, seen | {id(o)})
                    put(")")
                    return
            else:
                base = None
            if base is not None:
                put("<%s object at 0x%x>" % (_qualname(t), id(o)))
                return
        if t in _CONTAINERS:
            if id(o) in seen:
                put("<recursion>")
                return
            if d <= 0:
                put("%s(...%d)" % (t.__name__, len(o)))
                return
            seen = seen | {id(o)}
            if t is dict:
                put("{")
                # items, not o[k]: no key's __hash__ or __eq__ runs
                for i, (k, v) in enumerate(list(o.items())[:_ITEMS_MAX]):
                    if i:
                        put(", ")
                    one(k, d - 1, seen)
                    put(": ")
                    one(v, d - 1, seen)
                if len(o) > _ITEMS_MAX:
                    put(", ...%d more" % (len(o) - _ITEMS_MAX))
                put("}")
                return
            openc, closec = {list: ("[", "]"), tuple: ("(", ")"), set: ("{", "}"),
                             frozenset: ("frozenset({", "})")}[t]
            if not o and t is set:
                put("set()")
                return
            put(openc)
            items = list(o)
            for i, v in enumerate(items[:_ITEMS_MAX]):
                if i:
                    put(", ")
                one(v, d - 1, seen)
            if len(items) > _ITEMS_MAX:
                put(", ...%d more" % (len(items) - _ITEMS_MAX))
            if t is tuple and len(items) == 1:
                put(",")
            put(closec)
            return
        if t is str:
            s = repr(o[:_STR_MAX])
            put(s if len(o) <= _STR_MAX else s + "...(%d chars)" % len(o))
            return
        if t is bytes:
            s = repr(o[:_STR_MAX])
            put(s if len(o) <= _STR_MAX else s + "...(%d bytes)" % len(o))
            return
        try:
            s = repr(o)
            if type(s) is not str:
                s = "<repr failed: not a str>"
        except RecursionError:
            s = "<repr failed: RecursionError>"
        except Exception as e:
            s = "<repr failed: %s>" % type(e).__name__
        if len(s) > _STR_MAX * 2:
            s = s[:_STR_MAX * 2] + "..."
        put(s)

    try:
        one(obj, depth, frozenset())
    except Exception as e:
        return "<repr failed: %s>" % type(e).__name__
    return "".join(out)


def _split_exprs(text):
    """EXPRS split on the commas outside brackets and quotes."""
    parts, cur, depth, quote = [], [], 0, None
    for c in text:
        if quote:
            cur.append(c)
            if c == quote:
                quote = None
            continue
        if c in "'\"":
            quote = c
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append("".join(cur).strip())
            cur = []
            continue
        cur.append(c)
    parts.append("".join(cur).strip())
    return [p for p in parts if p]


def _line(ev):
    """An event as the line pytop reads (ASCII JSON)."""
    return (json.dumps(ev, ensure_ascii=True, separators=(",", ":")) + "\n").encode("ascii")


def _stamp(t):
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t)) + (".%03d" % int((t % 1) * 1000))


def _head(ev, what):
    tid = "" if ev["tid"] is None else " (tid %d)" % ev["tid"]
    return "%s %s%s %s #%d %s %.3f ms" % (_stamp(ev["time"]), _esc(ev["thread"]), tid, _esc(ev["name"]), ev["n"], what,
                                          ev["cost_ms"])


def _watch_text(ev):
    """The text form of a watch event (pytop writes it as it is)."""
    lines = [_head(ev, "cost")]
    for k, v in ev["values"]:
        lines.append("  %s = %s" % (_esc(k), _esc(v)))
    if ev["exc"] is not None:
        lines.append("  raised %s" % _esc(ev["exc"]))
    return "\n".join(lines) + "\n"


def _trace_text(ev):
    """The text form of a trace event: the header, then one node a line."""
    lines = [_head(ev, "total")]
    for n in ev["nodes"]:
        pad = "  " * (n["d"] + 1)
        if "folded" in n:
            lines.append("%s[%.3f ms] (%d call%s folded)" % (pad, n["ms"], n["folded"],
                                                             "" if n["folded"] == 1 else "s"))
        elif n["line"]:
            lines.append("%s[%.3f ms] %s %s:%d" % (pad, n["ms"], _esc(n["name"]), _esc(n["file"]), n["line"]))
        else:
            lines.append("%s[%.3f ms] %s %s" % (pad, n["ms"], _esc(n["name"]), _esc(n["file"])))
    if ev["truncated"]:
        lines.append("  (more calls than %d: the rest not recorded)" % _TREE_NODES_MAX)
    if ev["exc"] is not None:
        lines.append("  raised %s" % _esc(ev["exc"]))
    return "\n".join(lines) + "\n"


class _Error(Exception):
    pass


def _lookup(ns, name, where):
    """ns[name] through __dict__ (no descriptors run), or an error naming
    the nearest names."""
    d = {}
    if isinstance(ns, type):
        for k in reversed(ns.__mro__):
            d.update(getattr(k, "__dict__", {}))
    else:
        d = getattr(ns, "__dict__", {})
    if name in d:
        return d[name]
    near = difflib.get_close_matches(name, [str(k) for k in d.keys()], 5, 0.5)
    raise _Error("no '%s' in %s%s" % (name, where, _near(near)))


def _near(names):
    return " (nearest: %s)" % ", ".join(names) if names else ""


def _resolve(spec):
    """MODULE [CLASS] METHOD, module.Class.method or FILE:LINE -> (code,
    label, is_method)."""
    loc = spec.strip().rsplit(":", 1)
    if len(loc) == 2 and loc[0] and loc[1].isdigit():
        return _resolve_location(loc[0], int(loc[1]))
    words = spec.split()
    if not words or len(words) > 3:
        raise _Error("give MODULE [CLASS] METHOD, module.Class.method or FILE:LINE")
    mods = sys.modules
    if len(words) == 1:
        parts = words[0].split(".")
        for i in range(len(parts) - 1, 0, -1):
            if ".".join(parts[:i]) in mods:
                words = [".".join(parts[:i])] + parts[i:]
                break
        else:
            near = difflib.get_close_matches(words[0], [str(m) for m in mods], 5, 0.5)
            raise _Error("no module in '%s'%s" % (words[0], _near(near)))
    else:
        words = [words[0]] + ".".join(words[1:]).split(".")
    mod = mods.get(words[0])
    if mod is None:
        near = difflib.get_close_matches(words[0], [str(m) for m in mods], 5, 0.5)
        raise _Error("no module '%s'%s" % (words[0], _near(near)))
    obj, where, is_method = mod, "module " + words[0], False
    for w in words[1:]:
        is_method = isinstance(obj, type)
        obj = _lookup(obj, w, where)
        where = "%s.%s" % (where, w)
    if isinstance(obj, (staticmethod, classmethod)):
        is_method = isinstance(obj, classmethod)
        obj = obj.__func__
    elif isinstance(obj, property):
        obj = obj.fget
    obj = getattr(obj, "__func__", obj)
    # functools.wraps: the innermost function, not the decorator's wrapper
    for _ in range(100):
        inner = getattr(obj, "__dict__", {}).get("__wrapped__") if isinstance(obj, types.FunctionType) else None
        if inner is None:
            break
        obj = getattr(inner, "__func__", inner)
    code = getattr(obj, "__code__", None)
    label = ".".join(words)
    if code is None or type(code).__name__ != "code":
        raise _Error("%s is a %s, not a Python function" % (label, type(obj).__name__))
    if code.co_flags & _CO_GENLIKE:
        raise _Error("%s is a generator/coroutine: watching those is not supported yet" % label)
    shared = _sharing(mod, words[0], code)
    if len(shared) > 1:
        raise _Error("%s runs code shared by %s (one decorator's wrapper, without functools.wraps?): "
                     "their calls cannot be told apart" % (label, ", ".join(shared[:8])))
    return code, label, is_method


def _dict_of(o):
    """o's own __dict__, read without running the program's code (a lazy
    module's __getattribute__, a metaclass's), or {}."""
    try:
        d = object.__getattribute__(o, "__dict__")
    except Exception:
        return {}
    return d if isinstance(d, (dict, types.MappingProxyType)) else {}


_HOLDERS = (types.FunctionType, staticmethod, classmethod, property)


def _functions(v, in_class):
    """[(function, is_method)] that the namespace value v holds: a function,
    the function of a staticmethod or classmethod, a property's accessors,
    and along functools.wraps' __wrapped__ chain each function inside."""
    t = type(v)
    if issubclass(t, staticmethod):
        outer = [(v.__func__, False)]
    elif issubclass(t, classmethod):
        outer = [(v.__func__, True)]
    elif issubclass(t, property):
        outer = [(f, True) for f in (v.fget, v.fset, v.fdel) if f is not None]
    else:
        outer = [(v, in_class)]       # a function, or nothing _functions looks into
    out = []
    for f, meth in outer:
        for _ in range(100):
            if not issubclass(type(f), types.FunctionType):
                break
            out.append((f, meth))
            f = getattr(f, "__wrapped__", None)   # (f.__dict__ would give every function a dict)
            if issubclass(type(f), (types.MethodType, staticmethod, classmethod)):
                f = f.__func__
    return out


def _walk(mods, budget):
    """(name found as, function, is_method) for each function in the
    namespaces of mods [(name, module)]: the module's dict, its classes and
    the classes in those (to _CLASS_DEPTH); at most budget[0] names."""
    for modname, mod in mods:
        spaces = [(modname, _dict_of(mod), False, 0)]
        seen = set()
        while spaces:
            prefix, d, in_class, depth = spaces.pop()
            try:
                items = list(d.items())
            except Exception:
                continue
            budget[0] -= len(items)
            if budget[0] < 0:
                return
            for k, v in items:
                t = type(v)
                if t is not types.FunctionType and not issubclass(t, _HOLDERS):
                    if issubclass(t, type) and depth < _CLASS_DEPTH and id(v) not in seen and \
                            _dict_of(v).get("__module__") == modname:
                        seen.add(id(v))
                        spaces.append(("%s.%s" % (prefix, k), _dict_of(v), True, depth + 1))
                    continue
                for f, meth in _functions(v, in_class):
                    yield "%s.%s" % (prefix, k), f, meth


def _module_file(mod):
    f = _dict_of(mod).get("__file__")
    return f if isinstance(f, str) else None


def _resolve_location(path, line):
    """The function whose code starts at path:line (co_filename,
    co_firstlineno), looked for in the modules whose __file__ is path (then,
    for code compiled under another name, in every module)."""
    where = "%s:%d" % (path, line)
    real = os.path.realpath(path)
    base = os.path.basename(path)
    mods, files = [], set()
    for name, mod in list(sys.modules.items()):
        if not issubclass(type(mod), types.ModuleType):
            continue
        f = _module_file(mod)
        if f is None:
            continue
        files.add(f)
        if f == path or (os.path.basename(f) == base and os.path.realpath(f) == real):
            mods.append((str(name), mod))
    in_file = []
    found = {}     # code -> [(name found as, function, is_method)]
    budget = [_WALK_MAX]
    same = {path: True}   # co_filename -> is it path?

    def is_path(name):
        r = same.get(name)
        if r is None:
            r = same[name] = isinstance(name, str) and name.endswith(base) and os.path.realpath(name) == real
        return r

    for scope in (mods, None):
        if scope is None:
            if in_file:
                break
            scope = [(str(n), m) for n, m in list(sys.modules.items()) if issubclass(type(m), types.ModuleType)]
        for name, f, meth in _walk(scope, budget):
            co = f.__code__
            if not is_path(co.co_filename):
                continue
            in_file.append((co.co_firstlineno, name))
            if co.co_firstlineno == line:
                found.setdefault(co, []).append((name, f, meth))
        if found:
            break
    if not found:
        if not in_file and mods:
            # Its module is loaded, but its code says it comes from elsewhere
            # (a frozen module's '<frozen os>', a moved .pyc): name that.
            other = sorted(set(f.__code__.co_filename for _, f, _ in _walk(mods[:1], [1000])))
            raise _Error("no function starts at %s: the functions of module %s say they come from %s" % (
                where, mods[0][0], ", ".join(repr(o) for o in other[:3]) or "nowhere (it has none)"))
        if not in_file:
            near = difflib.get_close_matches(path, sorted(files), 3, 0.5)
            raise _Error("no function starts at %s: no loaded module has the file %s%s"
                         % (where, path, _near(near)))
        near = sorted(set(in_file), key=lambda x: (abs(x[0] - line), x[0]))[:5]
        raise _Error("no function starts at %s; functions in %s: %s" % (
            where, path, ", ".join("%s (line %d)" % (n, ln) for ln, n in sorted(near))))
    if len(found) > 1:
        names = sorted(hits[0][0] for hits in found.values())
        raise _Error("%d functions start at %s: %s; give one by name" % (len(names), where, ", ".join(names[:8])))
    code, hits = list(found.items())[0]
    funcs = []
    for name, f, meth in hits:
        if all(f is not g for g in funcs):
            funcs.append(f)
    if len(funcs) > 1:
        raise _Error("%s runs code shared by %s (one decorator's wrapper, without functools.wraps?): "
                     "their calls cannot be told apart" % (where, ", ".join(sorted(set(h[0] for h in hits))[:8])))
    f, meth = hits[0][1], hits[0][2]
    qual, modname = f.__qualname__, f.__module__
    if not isinstance(qual, str) or not isinstance(modname, str) or "<" in qual:
        label = hits[0][0]      # a lambda or a local function: the name it is found as
    else:
        label = "%s.%s" % (modname, qual)
    if code.co_flags & _CO_GENLIKE:
        raise _Error("%s is a generator/coroutine: watching those is not supported yet" % label)
    return code, label, meth


def _sharing(mod, modname, code):
    """The names of the module's functions (and its classes' methods) whose
    code is code."""
    names = []
    spaces = [(modname, getattr(mod, "__dict__", {}))]
    for k, v in list(spaces[0][1].items()):
        if isinstance(v, type) and getattr(v, "__module__", None) == modname:
            spaces.append(("%s.%s" % (modname, k), v.__dict__))
    for prefix, d in spaces:
        for k, v in list(d.items()):
            if isinstance(v, (staticmethod, classmethod)):
                v = v.__func__
            if isinstance(v, types.FunctionType) and v.__code__ is code:
                names.append("%s.%s" % (prefix, k))
    return names


class _Job(object):
    """One watch or trace: what it matches and how many calls are left."""

    def __init__(self, agent, cmd):
        self.kind = cmd.get("cmd")
        self.id = int(cmd.get("id", 0))
        self.code, self.label, self.is_method = _resolve(str(cmd.get("target", "")))
        if self.kind == "trace":
            for p in (sys.getprofile(), getattr(threading, "_profile_hook", None)):
                _check_profile(p)
        self.count = max(1, int(cmd.get("count", 5)))
        self.depth = max(1, min(int(cmd.get("depth", 2 if self.kind == "watch" else 3)), 50))
        self.min_ms = float(cmd.get("min_ms", 0))
        self.errors = bool(cmd.get("errors", False))
        self.seen = 0
        self.removed = False
        self.cond = None
        try:
            if cmd.get("cond"):
                self.cond = compile(str(cmd["cond"]), "<cond>", "eval")
            texts = _split_exprs(str(cmd.get("exprs") or "args,return_obj"))
            self.exprs = [(t, compile(t, "<expr>", "eval")) for t in texts]
        except SyntaxError as e:
            raise _Error("syntax error in %r: %s" % (e.text, e.msg))


def _check_profile(p):
    """A trace swaps the thread's profile function for its own and chains
    to the program's: one that cannot be called back (cProfile's C
    profiler) is refused rather than broken."""
    if p is not None and not callable(p):
        what = "cProfile" if "lsprof" in type(p).__module__ or "cProfile" in type(p).__module__ \
            else _qualname(type(p))
        raise _Error("the program is being profiled (%s): cannot trace" % what)


_ARGSPECS = {}


def _argspec(code):
    """(positional names, keyword-only names, *args name, **kwargs name) of
    a code object, computed once (co_varnames is rebuilt on every access
    on 3.11+)."""
    spec = _ARGSPECS.get(code)
    if spec is None:
        names = code.co_varnames
        n = code.co_argcount
        nk = getattr(code, "co_kwonlyargcount", 0)
        i = n + nk
        star = names[i] if code.co_flags & 0x04 else None     # CO_VARARGS
        i += 1 if star else 0
        dstar = names[i] if code.co_flags & 0x08 else None    # CO_VARKEYWORDS
        spec = (names[:n], names[n:n + nk], star, dstar)
        if len(_ARGSPECS) < 10000:
            _ARGSPECS[code] = spec
    return spec


def _frame_args(frame, is_method):
    """(target, args, kwargs) of a frame at its start."""
    posn, kwn, star, dstar = _argspec(frame.f_code)
    loc = frame.f_locals
    pos = [loc.get(v) for v in posn]
    target = None
    if is_method and pos:
        target = pos.pop(0)
    kwargs = {}
    for v in kwn:
        if v in loc:
            kwargs[v] = loc[v]
    if star:
        extra = loc.get(star)
        if isinstance(extra, tuple):
            pos.extend(extra)
    if dstar:
        extra = loc.get(dstar)
        if isinstance(extra, dict):
            kwargs.update(extra)
    return target, tuple(pos), kwargs


class _Call(object):
    __slots__ = ("frame", "start", "target", "args", "kwargs", "tree", "stack", "prev_profile", "t0")


class _Every(object):
    """Holds every code: the hooks' tuple once the agent stops, so each
    hooked thread's next call takes the slow path and unhooks."""
    __slots__ = ()

    def __contains__(self, code):
        return True


_EVERY = _Every()


def _fast_hooks(agent):
    """The hooks that untraced code goes through: 3.6-3.11 the global trace
    function (every Python call in a hooked thread), 3.12+ the PY_UNWIND
    callback (every frame an exception leaves). Closures over the tuple of
    the codes that have jobs, set by set_codes: a bound method testing
    `code in self.jobs` paid an attribute lookup and the code object's hash
    (not cached) on each call. Returns (set_codes, global_trace, unwind)."""
    codes = ()

    def set_codes(c):
        nonlocal codes
        codes = c

    def global_trace(frame, event, arg):
        if frame.f_code in codes:
            return agent._global_trace(frame, event, arg)
        return None

    def unwind(code, offset, exc):
        if code in codes:
            try:
                agent._leave(sys._getframe(1), None, exc)
            except Exception:
                pass

    return set_codes, global_trace, unwind


class Agent(object):
    def __init__(self, path, token):
        self.path = path
        self.token = token
        self.sock = None
        self.jobs = {}             # code -> [job]
        self.stacks = {}           # thread ident -> [_Call]
        self.queue = []
        self.dropped = 0
        self.lock = threading.Lock()
        self.stop = False
        self.tool = None
        self.prev_trace = None
        self.prev_thread_trace = None
        self.hooked = False
        self.prev_profiles = {}    # thread ident -> the profile function a trace replaced
        self.trace_threads = set()
        self.thread = None
        self.busy = set()          # thread idents inside the agent's own hook code
        self.tids = {}
        self._set_codes, self._gtrace, self._mon_unwind = _fast_hooks(self)

    # -- life cycle ---------------------------------------------------
    def start(self):
        """Connect, hook, say hello, start the thread; on any failure undo
        all of it (hooks, socket, the cycles through bound methods)."""
        try:
            self._start()
        except BaseException:
            self._halt()
            self._unhook_start()
            if self.sock is not None:
                try:
                    self.sock.close()
                except Exception:
                    pass
            self.sock = None
            self.thread = None
            self.jobs = {}
            raise

    def _halt(self):
        """Stop: the hooks of every thread take the slow path, which unhooks."""
        self.stop = True
        self._set_codes(_EVERY)

    def _unhook_start(self):
        if self.hooked:
            self.hooked = False
            if getattr(threading, "_trace_hook", None) == self._gtrace:
                threading.settrace(self.prev_thread_trace)
            if sys.gettrace() == self._gtrace:
                sys.settrace(self.prev_trace)

    def _start(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock = s
        s.settimeout(5)
        s.connect(self.path)
        s.settimeout(None)
        if _MON is None:
            # 3.6-3.11: a global trace function in this thread (the one that
            # ran the bootstrap) and in new threads; it looks only at 'call'.
            self.prev_trace = sys.gettrace()
            if self.prev_trace is not None:
                raise RuntimeError("the program has a trace function (debugger or coverage)")
            self.prev_thread_trace = getattr(threading, "_trace_hook", None)
            if self.prev_thread_trace is not None:
                raise RuntimeError("the program has a threading.settrace function (debugger or coverage)")
            self.hooked = True
            sys.settrace(self._gtrace)
            threading.settrace(self._gtrace)
            # Threads that run already get no trace function (before 3.12
            # no API gives them one): their calls are not seen.
            me = threading.current_thread()
            self.boot_thread = me.name
            self.unseen = sorted(t.name for t in threading.enumerate() if t is not me)
        self.send({"ev": "hello", "token": self.token, "pid": os.getpid(),
                   "version": "%d.%d.%d" % sys.version_info[:3], "agent": 1})
        t = threading.Thread(target=self._run, name="pytop-agent")
        t.daemon = True
        self.thread = t
        t.start()

    def _run(self):
        why = "eof"
        if _MON is None:
            sys.settrace(None)     # the agent's own thread is never traced
        try:
            why = self._loop()
        except Exception as e:
            why = "error: %s" % e
        finally:
            self._cleanup(why)

    def _loop(self):
        buf = b""
        s = self.sock
        while not self.stop:
            # A few events at a time: under a flood of calls a detach is
            # read within one batch, not after the whole queue.
            more = self._flush(_FLUSH_MAX)
            self._reap()
            r, _, _ = select.select([s], [], [], 0 if more else 0.05)
            if not r:
                continue
            data = s.recv(65536)
            if not data:
                return "eof"
            buf += data
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                if line.strip():
                    self._command(line)
                if self.stop:
                    return "detach"
            if len(buf) > _MAXLINE:
                return "command too long"
        return "detach"

    def _cleanup(self, why):
        self._halt()
        self._unhook_all()
        if why == "detach":
            # pytop asked to leave: the calls still queued (up to
            # _QUEUE_MAX under a flood, seconds of formatting while the
            # program holds the GIL) go unsent, like the calls after it.
            with self.lock:
                self.queue = []
        try:
            self._flush()
            self._sendnow({"ev": "bye", "why": why})
        except Exception:
            pass
        try:
            self.sock.close()
        except Exception:
            pass

    # -- sending ------------------------------------------------------
    def send(self, ev):
        self._sendnow(ev)

    def _sendnow(self, ev):
        self.sock.sendall(_line(ev))

    def _post(self, ev, job=None, keep=False):
        """From a hook (any thread): queue for the agent thread (not for a
        job removed meanwhile); keep: even when the queue is full (a job's
        end, which pytop waits for)."""
        with self.lock:
            if job is not None and job.removed:
                return
            if len(self.queue) >= _QUEUE_MAX and not keep:
                self.dropped += 1
                return
            self.queue.append(ev)

    def _flush(self, most=None):
        """Send what the hooks queued (at most most events); True when
        some are left."""
        with self.lock:
            if most is None or len(self.queue) <= most:
                q, self.queue = self.queue, []
            else:
                q, self.queue = self.queue[:most], self.queue[most:]
            dropped, self.dropped = self.dropped, 0
            left = bool(self.queue)
        lines = []
        for ev in q:
            # The text is made here, in the agent's thread, not in the hook.
            if ev["ev"] == "watch":
                ev["text"] = _watch_text(ev)
            elif ev["ev"] == "trace":
                ev["text"] = _trace_text(ev)
            lines.append(_line(ev))
        if dropped:
            lines.append(_line({"ev": "dropped", "n": dropped}))
        # One send for the batch: each send lets go of the GIL, and a
        # program busy in Python takes it back for a whole switch interval
        # (5 ms), so one send an event delivered 15-100 events a second.
        if lines:
            self.sock.sendall(b"".join(lines))
        return left

    # -- commands -----------------------------------------------------
    def _command(self, line):
        try:
            cmd = json.loads(line.decode("utf-8"))
            if not isinstance(cmd, dict):
                raise ValueError("not an object")
        except Exception as e:
            self._sendnow({"ev": "error", "id": 0, "msg": "bad command: %s" % e})
            return
        what = cmd.get("cmd")
        cid = cmd.get("id", 0)
        if what != "detach":
            self._flush()      # what the hooks queued so far goes before the answer
        try:
            if what in ("watch", "trace"):
                job = _Job(self, cmd)
                self._add(job)
                ok = {"ev": "ok", "id": job.id, "cmd": what, "name": job.label,
                      "file": job.code.co_filename, "line": job.code.co_firstlineno}
                unseen = getattr(self, "unseen", None)
                if unseen:
                    ok["note"] = ("Python %d.%d: calls in the %d thread%s that ran before pytop attached "
                                  "(%s) are not seen; calls in '%s' and in threads started since are"
                                  % (sys.version_info[0], sys.version_info[1], len(unseen),
                                     "" if len(unseen) == 1 else "s", ", ".join(unseen[:5]) +
                                     (", ..." if len(unseen) > 5 else ""),
                                     self.boot_thread))
                self._sendnow(ok)
            elif what == "cancel":
                self._remove(lambda j: j.id == cid)
                self._sendnow({"ev": "ok", "id": cid, "cmd": what})
            elif what in ("unwatch", "untrace"):
                self._remove(lambda j: j.kind == what[2:])
                self._sendnow({"ev": "ok", "id": cid, "cmd": what})
            elif what == "detach":
                self._halt()
            elif what == "ping":
                self._sendnow({"ev": "pong", "id": cid})
            else:
                raise _Error("unknown command %r" % (what,))
        except _Error as e:
            self._sendnow({"ev": "error", "id": cid, "msg": str(e)})
        except Exception as e:
            self._sendnow({"ev": "error", "id": cid, "msg": "%s: %s" % (type(e).__name__, e)})

    def _reap(self):
        """Remove the jobs that saw their COUNT calls (hooks only mark them)."""
        if any(j.seen >= j.count for jobs in list(self.jobs.values()) for j in jobs):
            self._remove(lambda j: j.seen >= j.count)

    def _add(self, job):
        with self.lock:
            self.jobs.setdefault(job.code, []).append(job)
            if not self.stop:
                self._set_codes(tuple(self.jobs))
        if _MON is not None:
            self._monitor(job.code)

    def _remove(self, pred):
        with self.lock:
            gone = []
            for code, jobs in list(self.jobs.items()):
                for j in jobs:
                    if pred(j):
                        j.removed = True
                jobs[:] = [j for j in jobs if not pred(j)]
                if not jobs:
                    del self.jobs[code]
                    gone.append(code)
            self._set_codes(_EVERY if self.stop else tuple(self.jobs))
        if gone:
            for st in list(self.stacks.values()):
                st[:] = [x for x in st if x.frame.f_code not in gone]
        if _MON is not None and self.tool is not None:
            for code in gone:
                _MON.set_local_events(self.tool, code, 0)
            if not self.jobs:
                self._free_tool()

    # -- sys.monitoring (3.12+) -----------------------------------------
    def _monitor(self, code):
        E = _MON.events
        if self.tool is None:
            for tool in (3, 4, 5, 1, 0, 2):   # free ids first; 2 (PROFILER: cProfile) last
                try:
                    _MON.use_tool_id(tool, "pytop")
                except ValueError:
                    continue
                self.tool = tool
                break
            else:
                raise _Error("every sys.monitoring tool id is in use")
            _MON.register_callback(self.tool, E.PY_START, self._mon_start)
            _MON.register_callback(self.tool, E.PY_RETURN, self._mon_return)
            _MON.register_callback(self.tool, E.PY_UNWIND, self._mon_unwind)
            # PY_UNWIND cannot be a local event: it is set for the whole
            # program and the callback looks only at the watched codes.
            _MON.set_events(self.tool, E.PY_UNWIND)
        _MON.set_local_events(self.tool, code, E.PY_START | E.PY_RETURN)

    def _free_tool(self):
        tool, self.tool = self.tool, None
        if tool is None:
            return
        E = _MON.events
        try:
            _MON.set_events(tool, 0)
            for ev in (E.PY_START, E.PY_RETURN, E.PY_UNWIND):
                _MON.register_callback(tool, ev, None)
        finally:
            _MON.free_tool_id(tool)

    # Every hook swallows its own errors: nothing reaches the target.
    def _mon_start(self, code, offset):
        if code in self.jobs:
            try:
                self._enter(sys._getframe(1))
            except Exception:
                pass

    def _mon_return(self, code, offset, value):
        if code in self.jobs:
            try:
                self._leave(sys._getframe(1), value, None)
            except Exception:
                pass

    # PY_UNWIND: self._mon_unwind, made by _fast_hooks.

    # -- sys.settrace (3.6-3.11) ----------------------------------------
    def _global_trace(self, frame, event, arg):
        """The global trace function's slow path (_fast_hooks): a call of a
        code with a job, or any call once the agent stops."""
        if self.stop:
            sys.settrace(None)
            return None
        if event == "call" and frame.f_code in self.jobs:
            try:
                if hasattr(frame, "f_trace_lines"):
                    frame.f_trace_lines = False
                self._enter(frame)
            except Exception:
                return None
            return self._local_trace
        return None

    def _local_trace(self, frame, event, arg):
        try:
            self._local_event(frame, event, arg)
        except Exception:
            pass
        return self._local_trace

    def _local_event(self, frame, event, arg):
        if event == "exception":
            c = self._top(frame)
            if c is not None:
                c.target = (c.target[0], arg[1])
        elif event == "return":
            c = self._top(frame)
            exc = None
            if c is not None and c.target[1] is not None and not _returned(frame):
                exc = c.target[1]
            self._leave(frame, arg if exc is None else None, exc)

    def _top(self, frame):
        st = self.stacks.get(_thread.get_ident())
        if st and st[-1].frame is frame:
            return st[-1]
        return None

    # -- the calls ------------------------------------------------------
    def _enter(self, frame):
        tid = _thread.get_ident()
        if tid in self.busy:
            return
        st = self.stacks.setdefault(tid, [])
        if st:
            # Entries whose call ended unseen (its events were switched
            # off meanwhile) are not on this frame's stack: drop them.
            chain = set()
            f = frame.f_back
            while f is not None and len(chain) < 100000:
                chain.add(id(f))
                f = f.f_back
            st[:] = [x for x in st if id(x.frame) in chain]
        if len(st) >= 256:
            return
        c = _Call()
        c.frame = frame
        c.target = (None, None)       # (is traced, exception seen) for settrace
        c.tree = None
        c.args = None
        jobs = self.jobs.get(frame.f_code, ())
        if any(j.kind == "watch" or j.cond is not None for j in jobs):
            self.busy.add(tid)
            try:
                c.args = _frame_args(frame, any(j.is_method for j in jobs))
            except Exception:
                c.args = (None, (), {})
            finally:
                self.busy.discard(tid)
        refused = None
        if any(j.kind == "trace" for j in jobs):
            try:
                _check_profile(sys.getprofile())
            except _Error as e:
                refused = str(e)
                for j in jobs:
                    if j.kind == "trace" and j.seen < j.count:
                        self._post({"ev": "error", "id": j.id, "msg": refused}, j)
                        j.seen = j.count     # reaped by the agent thread
        if refused is None and any(j.kind == "trace" for j in jobs) and not any(x.tree is not None for x in st):
            c.tree = [[0, frame.f_code.co_qualname if hasattr(frame.f_code, "co_qualname") else frame.f_code.co_name,
                       frame.f_code.co_filename, frame.f_code.co_firstlineno, 0.0, 0.0, 0]]
            c.stack = [0]
            c.prev_profile = sys.getprofile()
            self.prev_profiles[tid] = c.prev_profile
            sys.setprofile(self._profile)
        c.start = time.perf_counter()
        c.t0 = time.time()
        st.append(c)

    def _profile(self, frame, event, arg):
        try:
            self._profile_event(frame, event, arg)
        except Exception:
            pass
        # the program's own profile function still sees every event
        prev = self.prev_profiles.get(_thread.get_ident())
        if prev is not None:
            prev(frame, event, arg)

    def _profile_event(self, frame, event, arg):
        st = self.stacks.get(_thread.get_ident())
        c = None
        if st:
            for x in reversed(st):
                if x.tree is not None:
                    c = x
                    break
        if c is None or self.stop:
            sys.setprofile(self.prev_profiles.get(_thread.get_ident()))
            return
        if event == "call" and frame is c.frame:
            return    # 3.6-3.11: the traced call's own 'call' comes after the tracer set this
        now = time.perf_counter()
        if event == "call" or event == "c_call":
            if event == "call":
                co = frame.f_code
                name = getattr(co, "co_qualname", co.co_name)
                where = (co.co_filename, frame.f_lineno)
            else:
                name = getattr(arg, "__qualname__", None) or getattr(arg, "__name__", "?")
                mod = getattr(arg, "__module__", None)
                if mod:
                    name = "%s.%s" % (mod, name)
                where = ("<built-in>", 0)
            parent = c.stack[-1]
            d = c.tree[parent][6] + 1
            if len(c.tree) < _TREE_NODES_MAX:
                c.tree.append([parent, name, where[0], where[1], now, 0.0, d])
                c.stack.append(len(c.tree) - 1)
            else:
                c.stack.append(-1)
        elif event in ("return", "c_return", "c_exception"):
            if len(c.stack) <= 1:
                if event == "return":
                    # the traced call itself returns (its own end)
                    sys.setprofile(c.prev_profile)
                return
            i = c.stack.pop()
            if i >= 0:
                c.tree[i][5] = now - c.tree[i][4]

    def _leave(self, frame, value, exc):
        tid = _thread.get_ident()
        if tid in self.busy:
            return
        st = self.stacks.get(tid)
        if not st:
            return
        end = time.perf_counter()
        for i in range(len(st) - 1, -1, -1):
            if st[i].frame is frame:
                c = st[i]
                del st[i:]
                break
        else:
            return
        if not st:
            self.stacks.pop(tid, None)
        if c.tree is not None:
            if sys.getprofile() == self._profile:
                sys.setprofile(c.prev_profile)
            self.prev_profiles.pop(tid, None)
        cost = (end - c.start) * 1000.0
        self.busy.add(tid)
        try:
            for job in list(self.jobs.get(frame.f_code, ())):
                if job.kind == "watch":
                    self._watch_event(job, c, value, exc, cost)
                elif c.tree is not None:
                    self._trace_event(job, c, value, exc, cost)
        finally:
            self.busy.discard(tid)

    def _names(self, c, value, exc, cost):
        target, args, kwargs = c.args or (None, (), {})
        return {"target": target, "args": args, "kwargs": kwargs, "return_obj": value,
                "cost": cost, "exc": exc, "throw_exp": exc}

    def _check(self, job, ns):
        if job.cond is None:
            return True
        try:
            return bool(eval(job.cond, {"__builtins__": builtins}, ns))
        except Exception:
            return False

    def _count(self, job):
        job.seen += 1
        return job.seen

    def _done(self, job):
        if job.seen >= job.count:
            self._post({"ev": "done", "id": job.id, "n": job.seen}, keep=True)

    def _thread(self):
        t = threading.current_thread()
        nid = getattr(t, "native_id", None)
        return t.name, nid

    def _watch_event(self, job, c, value, exc, cost):
        if job.errors and exc is None:
            return
        if job.seen >= job.count:
            return
        ns = self._names(c, value, exc, cost)
        if not self._check(job, ns):
            return
        values = []
        for text, code in job.exprs:
            try:
                v = _safe_repr(eval(code, {"__builtins__": builtins}, ns), job.depth)
            except Exception as e:
                v = "<%s>" % _safe_repr(e, 2)
            values.append([text, v])
        name, nid = self._thread()
        n = self._count(job)
        ev = {"ev": "watch", "id": job.id, "n": n, "name": job.label, "time": c.t0,
              "thread": name, "tid": nid, "cost_ms": round(cost, 3), "values": values,
              "exc": None if exc is None else _safe_repr(exc, 1)}
        self._post(ev, job)
        self._done(job)

    def _trace_event(self, job, c, value, exc, cost):
        if job.seen >= job.count:
            return
        ns = self._names(c, value, exc, cost)
        if not self._check(job, ns):
            return
        tree = c.tree
        tree[0][5] = cost / 1000.0
        nodes = []
        kids = {}
        for i, n in enumerate(tree):
            if i:
                kids.setdefault(n[0], []).append(i)

        def walk(i, d):
            n = tree[i]
            ms = n[5] * 1000.0
            nodes.append({"d": d, "ms": round(ms, 3), "name": n[1], "file": n[2], "line": n[3]})
            folded, fold_ms = 0, 0.0
            for k in kids.get(i, ()):
                kms = tree[k][5] * 1000.0
                if d + 1 > job.depth or kms < job.min_ms:
                    folded += 1
                    fold_ms += kms
                else:
                    walk(k, d + 1)
            if folded:
                nodes.append({"d": d + 1, "ms": round(fold_ms, 3), "folded": folded})

        walk(0, 0)
        name, nid = self._thread()
        n = self._count(job)
        ev = {"ev": "trace", "id": job.id, "n": n, "name": job.label, "time": c.t0,
              "thread": name, "tid": nid, "cost_ms": round(cost, 3), "nodes": nodes,
              "truncated": len(tree) >= _TREE_NODES_MAX,
              "exc": None if exc is None else _safe_repr(exc, 1)}
        self._post(ev, job)
        self._done(job)

    # -- unhooking ------------------------------------------------------
    def _unhook_all(self):
        try:
            self._remove(lambda j: True)
        except Exception:
            pass
        if _MON is not None:
            try:
                self._free_tool()
            except Exception:
                pass
        else:
            self._unhook_start()
        if sys.getprofile() == self._profile:
            sys.setprofile(self.prev_profiles.pop(_thread.get_ident(), None))


def _returned(frame):
    """Did a 3.6-3.11 frame end with a return (not an exception)?"""
    try:
        import dis
        op = frame.f_code.co_code[frame.f_lasti]
        return dis.opname[op] in ("RETURN_VALUE", "YIELD_VALUE", "YIELD_FROM")
    except Exception:
        return True


def start(path, token, pid=None):
    """Connect to pytop and serve it from a daemon thread; nothing in a
    process other than pid (a child forked with the bootstrap queued)."""
    if pid is not None and os.getpid() != pid:
        return None
    a = Agent(path, token)
    a.start()
    return a
