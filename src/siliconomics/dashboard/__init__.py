"""The local what-if dashboard (``siliconomics dashboard``): a Dash app over the same library
calls as the CLI (``run_study`` through :mod:`siliconomics.report.briefing`, the silicon and
performance models), bound to 127.0.0.1 by default. Importing this package does not import
Dash; :func:`siliconomics.dashboard.app.create_app` does."""
