# The AWS CLI, started once and forked per command, for the compatibility tests (aws.ts).
#
# Each `aws` process spends about a second of CPU importing botocore and the CLI, then parsing the
# service's model and finding the Linux distribution for its User-Agent, before its one request.
# This server pays that once: it imports the CLI's modules, then for each request forks a child that
# runs the installed `aws` script itself (runpy, as `__main__`) with the request's arguments and
# environment, its stdout and stderr in the files the request names. What runs in the child is the
# same script, the same modules and the same code path as `aws …` from a shell, but for two things
# the server has done before it forks, whose results the child finds made: botocore's JSON file
# loader answers a data file the server has parsed already (the first request of a service has the
# server parse that service's model files) with that parse instead of reading the file again, and
# its listing of the services in its search path with the listing the server made; and the
# distribution the CLI names in its User-Agent (the `distro` module runs `lsb_release -a` and
# `uname -rs` for it, once a process) is known already. The data is the same, found by the same
# code; each child has a copy of its own (fork), so nothing a command does to it reaches another.
# One more thing is asked less often: whether an event handler takes keyword arguments, which the
# hooks check by inspecting it at each of its registrations, is asked once a function.
# A command forked from the server takes about a quarter of the CPU a process of its own takes
# (0.2 s instead of 0.9 s for `ec2 describe-images`).
#
# Protocol, one JSON object a line. In (stdin): {"id", "args", "env", "stdout", "stderr"}.
# Out (stdout): {"id", "code"} once the child has exited. Ends when stdin closes.
import json
import os
import runpy
import signal
import sys

SCRIPT = sys.argv[1]

before = dict(os.environ)
# The imports every `aws` process pays, paid here once: the driver, and the handlers module the
# driver loads for every command (it imports each customization). Modules only: no session, no
# driver, nothing a command's run depends on is created before the child runs the script.
import awscli.clidriver  # noqa: E402,F401
import awscli.handlers  # noqa: E402,F401

# What importing the CLI writes into the environment (AWS_DATA_PATH: where its models are), which a
# child's environment must hold as an `aws` process's would after the same import.
set_by_import = {key: value for key, value in os.environ.items() if before.get(key) != value}


def parse_once():
    """botocore's JSON file loader, remembering each file's parse (or absence) by path.

    Returns `warm(service)`: parses, in this process, the files a command of `service` loads."""
    # The CLI's botocore: awscli.botocore in v2 (Debian's 2.9), botocore in v1.
    loaders = sys.modules.get("awscli.botocore.loaders") or sys.modules.get("botocore.loaders")
    if loaders is None:
        return lambda service: None
    parsed = {}
    load_file = loaders.JSONFileLoader.load_file

    def remembered(self, file_path):
        if file_path not in parsed:
            parsed[file_path] = load_file(self, file_path)
        return parsed[file_path]

    loaders.JSONFileLoader.load_file = remembered
    # The loader a command's session makes: the same search path (AWS_DATA_PATH, as set above).
    loader = loaders.create_loader(os.environ.get("AWS_DATA_PATH"))
    warmed = set()

    def warm(service):
        names = [] if warmed else ["endpoints", "partitions", "_retry", "sdk-default-configuration", "cli"]
        if service not in warmed:
            warmed.add(service)
            try:
                version = loader.determine_latest_version(service, "service-2")
                for kind in ("service-2", "paginators-1", "waiters-2", "endpoint-rule-set-1"):
                    names.append(f"{service}/{version}/{kind}")
            except Exception:  # not a service (`aws --version`): nothing of it to parse
                pass
        for name in names:
            try:
                loader.load_data_with_path(name)
            except Exception:  # a file the service does not have: the command will not find it either
                pass

    return warm


warm = parse_once()


def know_distribution():
    """The distribution the CLI's User-Agent names, found as the CLI finds it (cached per process)."""
    try:
        import distro

        distro.id()
        distro.major_version()
    except Exception:  # a CLI without `distro` finds its User-Agent some other way
        pass


know_distribution()


def list_once():
    """botocore's loader listing the services of its search path (a walk of some 2,400 directories,
    five times a command), remembering each listing by search path and type. The listings a command
    asks for are made here, before the first fork."""
    loaders = sys.modules.get("awscli.botocore.loaders") or sys.modules.get("botocore.loaders")
    if loaders is None:
        return
    listed = {}
    list_available_services = loaders.Loader.list_available_services

    def remembered(self, type_name):
        key = (tuple(self.search_paths), type_name)
        if key not in listed:
            listed[key] = list_available_services(self, type_name)
        return list(listed[key])

    loaders.Loader.list_available_services = remembered
    loader = loaders.create_loader(os.environ.get("AWS_DATA_PATH"))
    for type_name in ("service-2", "paginators-1", "waiters-2", "endpoint-rule-set-1"):
        loader.list_available_services(type_name)


list_once()


def inspect_once():
    """botocore's hooks, checking that each handler they register takes keyword arguments (by
    inspecting its signature: some 350 registrations a command, of far fewer functions), asking once
    a function. A function's parameters do not change; a bound method is asked as its function."""
    hooks = sys.modules.get("awscli.botocore.hooks") or sys.modules.get("botocore.hooks")
    if hooks is None or not hasattr(hooks, "accepts_kwargs"):
        return
    accepts_kwargs = hooks.accepts_kwargs
    known = {}

    def remembered(func):
        key = getattr(func, "__func__", func)
        try:
            if key not in known:
                known[key] = accepts_kwargs(func)
            return known[key]
        except TypeError:  # unhashable: asked every time
            return accepts_kwargs(func)

    hooks.accepts_kwargs = remembered


inspect_once()

responses = os.dup(1)


def run(request):
    """In the child: the aws script with the request's argv, environment and output files."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.environ.clear()
    os.environ.update(request["env"])
    os.environ.update(set_by_import)
    for fd, path in ((1, request["stdout"]), (2, request["stderr"])):
        target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(target, fd)
        os.close(target)
    sys.argv = [SCRIPT, *request["args"]]
    try:
        runpy.run_path(SCRIPT, run_name="__main__")
    except SystemExit as exit:
        return exit.code if isinstance(exit.code, int) else (0 if exit.code is None else 1)
    return 0


def child(request):
    """Runs the request and answers it, whatever happens; never returns to the server's loop."""
    code = 70  # EX_SOFTWARE: the request could not be run
    try:
        code = run(request)
    except BaseException:  # what the interpreter would print for an uncaught exception
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        # A line under PIPE_BUF: written whole even while other children answer.
        os.write(responses, (json.dumps({"id": request["id"], "code": code}) + "\n").encode())
        os._exit(code)


def main():
    # Children are reaped as they exit; each answers for itself.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    for line in sys.stdin:
        request = json.loads(line)
        if request["args"]:
            warm(request["args"][0])
        if os.fork() == 0:
            child(request)


main()
