"""What pyaudit is called and which version it is, each stated once.

pyproject.toml reads the version from here; its ``name`` must equal
``DISTRIBUTION`` (a test checks).
"""

__version__ = "0.2.0"

# The name to install: "pyaudit" on PyPI is an unrelated project, so the
# distribution is named apart from the import name, which stays "pyaudit".
DISTRIBUTION = "pyaudit-hooks"


def install_command(extra=None):
    """The pip command that installs pyaudit, with ``extra`` if given:
    ``pip install "pyaudit-hooks[capi]"``."""
    if extra is None:
        return "pip install %s" % DISTRIBUTION
    return 'pip install "%s[%s]"' % (DISTRIBUTION, extra)
