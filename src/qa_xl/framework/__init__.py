"""The framework as data: a Board's QA Framework (the Wolverhampton Safeguarding Children Board
Quality Assurance Framework, 2015, by default) loaded from ``defaults.toml`` and checked.

Every layer above reads it — the workbook build, the programme modules, the returns, the
papers — so it sits just above :mod:`qa_xl.core` and imports nothing heavier than tomllib.
"""

from qa_xl.framework.load import default_config_path, load_config
from qa_xl.framework.records import (
    Activity,
    Config,
    ConfigError,
    ContentArea,
    Grade,
    Indicator,
    OutcomeStatement,
    Partner,
    Question,
    SelfAssessmentForm,
    Standard,
    Step,
)

__all__ = [
    "Activity", "Config", "ConfigError", "ContentArea", "Grade", "Indicator",
    "OutcomeStatement", "Partner", "Question", "SelfAssessmentForm", "Standard", "Step",
    "default_config_path", "load_config",
]
