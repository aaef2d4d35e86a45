"""The request examples of Sekoia.io's "Formatting options" page, as data.

Transcribed from SEKOIA-IO/documentation ``docs/integration/ingestion_methods/https/format.md``
(https://docs.sekoia.io/integration/ingestion_methods/https/format/): each example's path,
where it puts the key, its body, and what the page says it prints. ``YOUR_INTAKE_KEY`` and
``ANOTHER_INTAKE_KEY`` stand for valid intake keys.
"""

from typing import Any

DNS_EVENTS = [
    "[764008:0] info: 198.51.100.10 example.org. A IN",
    "[764023:0] info: 2.34.100.56 text.org. A IN",
]
KEY_PLACES = ("header", "basic", "query")  # "Supply the intake key as the header ..., as
# password in the HTTP Basic authentication mechanism or as a parameter in the querystring."

EXAMPLES: list[dict[str, Any]] = [
    *(
        {"path": "/plain", "key": place, "data": DNS_EVENTS[0], "prints": "event_id"}
        for place in KEY_PLACES
    ),
    *(
        {"path": "/plain/batch", "key": place, "data": "\n".join(DNS_EVENTS), "prints": 2}
        for place in KEY_PLACES
    ),
    *({"path": "/jsons", "key": place, "json": DNS_EVENTS, "prints": 2} for place in KEY_PLACES),
    *(
        {
            "path": "/many?path=$.path.to.events",
            "key": place,
            "json": {"path": {"to": {"events": DNS_EVENTS}}},
            "prints": 2,
        }
        for place in KEY_PLACES
    ),
    {
        "path": "/",
        "key": "body",
        "json": {"intake_key": "YOUR_INTAKE_KEY", "json": DNS_EVENTS[0]},
        "prints": "event_id",
    },
    {
        "path": "/",
        "key": "body",
        "json": {"intake_key": "YOUR_INTAKE_KEY", "json": '{"key": "value"}'},
        "prints": "event_id",
    },
    {
        "path": "/batch",
        "key": "body",
        "json": {"intake_key": "YOUR_INTAKE_KEY", "jsons": DNS_EVENTS},
        "prints": 2,
    },
    {
        "path": "/array",
        "key": "body",
        "json": [
            {
                "timestamp": "2021-04-05T21:33:31+02:00",
                "intake_key": "YOUR_INTAKE_KEY",
                "json": DNS_EVENTS[0],
            },
            {"intake_key": "ANOTHER_INTAKE_KEY", "json": DNS_EVENTS[1]},
        ],
        "prints": 2,
    },
]
