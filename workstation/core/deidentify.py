"""Names inside a device's free text: "Confirmed by Doe, John (123456)" loses the person.

A device statement is the device's or the cardiologist's reading; the confirming physician,
the technician and the referring doctor are written into it by the hospital system. Removing
the patient fields is not enough to de-identify a converted record: these names identify
staff, and with the date and place, the patient. The reading itself stays.
"""

from __future__ import annotations

import re

REMOVED = "[name removed]"

_VERBS = (r"confirmed|reviewed|read|over-?read|interpreted|signed|edited|verified|approved|"
          r"referred|requested|ordered|acquired|recorded|reported|performed|dictated")
#: A name: up to four words ("Doe, John", "Dr. J. Smith", "O'Neil-Ray MD"), never "on"/"at"
#: (the date or place that often follows).
_NAME = (r"(?:(?!(?:on|at|the)\b)[A-Za-z][\w'’\-]*\.?)"
         r"(?:,?\s+(?!(?:on|at|the)\b)[A-Za-z][\w'’\-]*\.?){0,3}")
_ID = r"(?:\s*\(\s*[\w\-/]+\s*\))?"
_BY = re.compile(rf"(\b(?:{_VERBS})(?:\s+electronically)?\s+by\s*:?\s*){_NAME}{_ID}", re.IGNORECASE)
_ROLE = re.compile(rf"(\b(?:technician|tech|operator|physician|cardiologist|referring physician|"
                   rf"ordering physician|attending|doctor)\s*(?:id|name)?\s*:\s*){_NAME}{_ID}",
                   re.IGNORECASE)


def remove_names(text: str) -> str:
    """``text`` with the person after "confirmed by", "technician:" and the like removed.

    >>> remove_names("Abnormal ECG. Confirmed by Doe, John (123456) on 01/02/2020")
    'Abnormal ECG. Confirmed by [name removed] on 01/02/2020'
    >>> remove_names("Technician: J. Smith")
    'Technician: [name removed]'
    >>> remove_names("Sinus rhythm")
    'Sinus rhythm'
    """
    text = _BY.sub(lambda m: m.group(1) + REMOVED, text)
    return _ROLE.sub(lambda m: m.group(1) + REMOVED, text)
