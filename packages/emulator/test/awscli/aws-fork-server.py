# The AWS CLI, started once and forked per command, for the compatibility tests (aws.ts).
#
# Each `aws` process spends about a second of CPU importing botocore and the CLI before its one
# request. This server pays that once (a command forked from it takes a third of the CPU a
# process of its own takes): it imports the CLI's modules, then for each request forks a
# child that runs the installed `aws` script itself (runpy, as `__main__`) with the request's
# arguments and environment, its stdout and stderr in the files the request names. What runs in the
# child is the same script, the same modules and the same code path as `aws …` from a shell.
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
        if os.fork() == 0:
            child(request)


main()
