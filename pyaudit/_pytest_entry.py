"""What pyaudit's ``pytest11`` entry point (named ``pyaudit``) loads: only
a pointer to the plugin, ``pyaudit.pytest_plugin``.

The entry point cannot name the plugin module itself.  ``-p
pyaudit.pytest_plugin`` (the way to load the plugin when pyaudit is not
installed) registers that module under its module name; the entry point
would then register the same module again under "pyaudit", which pytest
refuses ("Plugin already registered under a different name").  Through
this module, pytest loads the plugin by its module name either way, and
skips it when ``-p`` loaded it already; ``-p no:pyaudit`` still disables
both.
"""

pytest_plugins = ["pyaudit.pytest_plugin"]
