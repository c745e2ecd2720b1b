"""Generator for the OpenAI Batch C++ client: spec loading, naming, type mapping and rendering.

Jinja2 and PyYAML come from the running Python or, when it lacks them (a pyenv or venv Python on a
Debian machine), from Debian's python3-jinja2 and python3-yaml packages.
"""
import sys


def _import_dependencies():
    try:
        import jinja2  # noqa: F401
        import yaml  # noqa: F401
    except ImportError:
        sys.path.append("/usr/lib/python3/dist-packages")
        try:
            import jinja2  # noqa: F401,F811
            import yaml  # noqa: F401,F811
        except ImportError as error:
            sys.exit(f"generator: {error.name} is missing; install it with: apt-get install python3-jinja2 python3-yaml")


_import_dependencies()
