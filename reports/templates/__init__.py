"""Report templates and their packaged assets (a package so that they ship in the wheel).

Templates are named ``report_*`` so they never clash with the public site's in the shared
Jinja environment (:func:`reports.render.environment`).
"""
