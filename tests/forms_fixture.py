"""A small tblSchools for the self-assessment tests: five schools of every type (the demo
brings a plausible list of an area's 100-150)."""

from __future__ import annotations

import pandas as pd

from qa_xl.workbook import schema as S

SCHOOLS = [
    ("st_marys_pri", "St Mary's CE Primary School", "Primary", "Maintained",
     "Deputy headteacher", "office@stmarys.example.sch.uk"),
    ("oak_academy", "Oak Park Academy", "Secondary", "Academy", "Assistant principal",
     "dsl@oakpark.example.sch.uk"),
    ("hill_ind", "Hillcrest School (independent)", "All-through", "Independent",
     "Head of pastoral care", "office@hillcrest.example.org.uk"),
    ("city_fe", "City College", "Further education", "FE", "Head of student services",
     "safeguarding@citycollege.example.ac.uk"),
    ("brook_spec", "Brookside Special School", "Special", "Maintained", "Headteacher",
     "office@brookside.example.sch.uk"),
]


def schools_frame(rows: list[tuple] | None = None) -> pd.DataFrame:
    """tblSchools as a frame, ready for ``build_workbook(..., data={S.SCHOOLS.table: df})``."""
    return pd.DataFrame(rows if rows is not None else SCHOOLS, columns=S.SCHOOLS.names)
