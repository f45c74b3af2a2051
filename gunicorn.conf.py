"""gunicorn reads this file from the working directory by default (``--config`` names another).

Only logging is set here: with ``LOG_FORMAT=json`` gunicorn's access and error lines are JSON
objects like the app's (middleware/logs.py); otherwise gunicorn's defaults apply. Everything
else (bind, workers) is given on the command line (README, Deployment; Procfile; compose.yaml).
"""

from middleware.logs import gunicorn_logconfig

_json_logging = gunicorn_logconfig()
if _json_logging is not None:
    logconfig_dict = _json_logging
