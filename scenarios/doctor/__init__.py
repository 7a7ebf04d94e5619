"""``python -m scenarios doctor``: check an identity provider set-up and say how to fix it.

:mod:`~scenarios.doctor.probe` makes the HTTP calls, :mod:`~scenarios.doctor.checks` judges them
(pure functions), :mod:`~scenarios.doctor.diagnose` runs both, :mod:`~scenarios.doctor.report`
renders the table or JSON, and :mod:`~scenarios.doctor.config` reads the options.
"""

from __future__ import annotations

from scenarios.doctor.checks import CheckResult
from scenarios.doctor.config import DoctorOptions, Secret, load_options
from scenarios.doctor.diagnose import Diagnosis, diagnose

__all__ = ["CheckResult", "Diagnosis", "DoctorOptions", "Secret", "diagnose", "load_options"]
