"""The report layer: ``superkit report`` runs every notebook with papermill into a folder a
consultant can hand over.

* ``config`` -- the YAML config (client data, column mapping, parameters);
* ``run`` -- running the notebooks, building the folder aside and moving it into place;
* ``html`` -- the index page and one page per notebook with the code hidden;
* ``publish`` -- what a notebook calls to publish its JSON, figures and tables.
"""
from superkit.report.config import load_config
from superkit.report.run import Report, build_report, discover

__all__ = ["Report", "build_report", "discover", "load_config"]
