"""Sphinx configuration for the servicemap docs (install with the ``docs`` extra)."""

project = "servicemap"
author = "The servicemap developers"
extensions = [
    "myst_nb",
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
]
autosummary_generate = True
numpydoc_show_class_members = False
nb_execution_mode = "force"
nb_execution_raise_on_error = True
nb_execution_timeout = 300
html_theme = "pydata_sphinx_theme"
exclude_patterns = ["_build"]
intersphinx_mapping = {
    "geopandas": ("https://geopandas.org/en/stable/", None),
    "pandas": ("https://pandas.pydata.org/docs/", None),
}
