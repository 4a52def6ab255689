"""The editors' admin: ModelAdmins (``articles``), forms, site, bulk edits, history, the editor.

The ModelAdmins register from ``QaConfig.ready()``, not from this package's import: the admin
site class lives in ``qa.admin.site``, and Django imports it (and so this package) while it
builds the default site, before ModelAdmins may register on it.
"""
