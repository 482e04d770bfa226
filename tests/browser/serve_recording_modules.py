"""``streamlit run`` in this process, for tests: on SIGUSR1 it writes the names of every module the
server process has imported (``sorted(sys.modules)``) to the file named by ``$NNVIZ_MODULES_OUT``.

    NNVIZ_MODULES_OUT=/tmp/m.txt python tests/browser/serve_recording_modules.py app.py --server.port 8501 …

Test tooling only: the app itself has no hook for this.
"""

import os
import signal
import sys
from pathlib import Path


def dump(signum, frame):  # noqa: ARG001 - a signal handler's signature
    out = Path(os.environ["NNVIZ_MODULES_OUT"])
    tmp = out.with_suffix(".tmp")
    tmp.write_text("\n".join(sorted(sys.modules)) + "\n")
    os.replace(tmp, out)


if __name__ == "__main__":
    from streamlit.web import cli

    signal.signal(signal.SIGUSR1, dump)
    sys.argv = ["streamlit", "run", *sys.argv[1:]]
    sys.exit(cli.main())
