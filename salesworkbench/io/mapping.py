"""Column mappings: how a CRM export's columns and stages map onto the canonical tables.

A mapping is a dict, a preset name (:data:`MAPPINGS`) or a YAML/JSON file (read with
:func:`salesworkbench.safe_yaml.load_yaml`, so duplicate keys and aliases are refused). Columns
named canonically (in any case, with spaces or underscores) or by a common alias
(:data:`ALIASES`: ``created_date``, ``Create Date``, ``deal_stage``, ``account_name``,
``amount_usd``, ...) need no mapping. A mapping file may also set reading options
(:data:`OPTIONS`: ``dayfirst``, ``date_format``, ``decimal``, ``delimiter``, ``encoding``,
``currency``).
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from pathlib import Path

from salesworkbench.errors import DataError
from salesworkbench.io.parsing import CURRENCY_CODES
from salesworkbench.model import Stage
from salesworkbench.safe_yaml import load_yaml

__all__ = [
    "ALIASES",
    "MAPPINGS",
    "OPTIONS",
    "STATUS_OF_STAGE",
    "MappingSpec",
    "load_mapping",
    "load_mapping_spec",
    "normalise_name",
]

PathLike = str | os.PathLike

#: Column mappings for common CRM report exports (file column -> canonical column).
MAPPINGS: dict[str, dict[str, str]] = {
    "salesforce": {
        "Opportunity ID": "opportunity_id",
        "Opportunity Name": "name",
        "Account Name": "account",
        "Stage": "stage",
        "Amount": "amount",
        "Amount Currency": "currency",
        "Opportunity Currency": "currency",
        "Close Date": "close_date",
        "Created Date": "created",
        "Probability (%)": "probability",
        "Forecast Category": "forecast_category",
        "Opportunity Owner": "owner",
        "Product Name": "product",
        "Product": "product",
    },
    "hubspot": {
        "Record ID": "opportunity_id",
        "Deal Name": "name",
        "Associated Company": "account",
        "Deal Stage": "stage",
        "Amount": "amount",
        "Close Date": "close_date",
        "Create Date": "created",
        "Deal owner": "owner",
        "Deal Probability": "probability",
        "Forecast category": "forecast_category",
    },
}

#: Stage names recognised without a ``stages`` mapping (compared case- and space-insensitively).
STATUS_OF_STAGE: dict[str, str] = {
    # closed
    "closed won": "won",
    "won": "won",
    "closed/won": "won",
    "closedwon": "won",
    "closed lost": "lost",
    "lost": "lost",
    "closed/lost": "lost",
    "closedlost": "lost",
    "disqualified": "lost",
    # the sales model's lifecycle
    **{s.value.replace("_", " "): s.status for s in Stage},
    # Salesforce default sales process
    "prospecting": "open",
    "qualification": "open",
    "needs analysis": "open",
    "value proposition": "open",
    "id. decision makers": "open",
    "perception analysis": "open",
    "proposal/price quote": "open",
    "proposal": "open",
    "negotiation/review": "open",
    "negotiation": "open",
    # HubSpot default pipeline
    "appointmentscheduled": "open",
    "appointment scheduled": "open",
    "qualifiedtobuy": "open",
    "qualified to buy": "open",
    "presentationscheduled": "open",
    "presentation scheduled": "open",
    "decisionmakerboughtin": "open",
    "decision maker bought-in": "open",
    "contractsent": "open",
    "contract sent": "open",
    # common others
    "engaging": "open",
    "discovery": "open",
    "open": "open",
}

_TRUE = {"yes", "y", "true", "t", "1", "x"}
_FALSE = {"no", "n", "false", "f", "0"}


def normalise_name(name: str) -> str:
    """Normalise a header or stage name for matching: lower case, single spaces.

    ``"Created_Date "`` and ``"created  date"`` both become ``"created date"``.
    """
    return re.sub(r"[\s_]+", " ", str(name).strip().lower())


def _key(name: str) -> str:
    """Normalise a header for alias matching: lower case letters, digits and % only."""
    return re.sub(r"[^a-z0-9%]", "", str(name).lower())


def _aliases(**pairs: str) -> dict[str, str]:
    return {_key(alias): canon for canon, aliases in pairs.items() for alias in aliases.split()}


#: Common names of canonical columns, recognised without a mapping (per table; compared
#: ignoring case, spaces, underscores and punctuation). Keys are normalised names.
ALIASES: dict[str, dict[str, str]] = {
    "opportunities": _aliases(
        opportunity_id="opportunityid oppid dealid recordid opportunityrecordid",
        name="opportunityname dealname opportunity deal",
        account="accountname company companyname customer customername associatedcompany client",
        stage="dealstage opportunitystage stagename salesstage pipelinestage phase",
        amount="dealamount dealvalue opportunityamount value closevalue totalamount",
        created="createddate createdate creationdate datecreated createdat createdon "
        "opportunitycreateddate dealcreatedate",
        close_date="closedate closingdate expectedclosedate closedat closedon dealclosedate",
        owner="opportunityowner dealowner salesrep rep salesagent ownername accountexecutive "
        "salesperson",
        product="productname item",
        probability="probability% probabilitypercent winprobability dealprobability",
        currency="amountcurrency opportunitycurrency currencycode currencyisocode",
        forecast_category="forecastcategoryname",
    ),
    "leads": _aliases(
        lead_id="leadid",
        created="createddate createdate creationdate datecreated createdat createdon",
        source="leadsource",
        state="leadstatus status",
    ),
    "stage history": _aliases(
        change_id="changeid historyid",
        opportunity_id="opportunityid dealid",
        changed="changeddate changedate editdate date lastmodifieddate",
        stage="tostage newstage stagename",
    ),
}
#: "amount_usd", "Amount (EUR)": an amount column whose name carries its currency.
_AMOUNT_IN = re.compile(r"^(?:amount|dealamount|dealvalue|value)(?P<code>[a-z]{3})$")

#: Mapping-file sections that apply to one table only.
_ENTITY_SECTIONS = ("opportunities", "accounts", "stage_history", "leads", "reps")

#: Reading options a mapping file may set (top-level entries), with their checks.
OPTIONS: dict[str, str] = {
    "dayfirst": "true or false: day/month order of dates such as 03/04/2026",
    "date_format": "a strptime format such as '%d.%m.%Y'",
    "decimal": "'.' or ',': the decimal separator",
    "delimiter": "the CSV delimiter, e.g. ';'",
    "encoding": "the CSV encoding, e.g. 'cp1252'",
    "currency": "ISO code of the amounts, e.g. 'EUR'",
}


@dataclasses.dataclass
class MappingSpec:
    """A mapping file's content for one table.

    Attributes
    ----------
    columns : dict
        File column -> canonical column.
    stages : dict
        The file's stage names -> ``open``/``won``/``lost`` or a lifecycle stage.
    options : dict
        Reading options (see :data:`OPTIONS`).
    where : str
        The mapping's name for messages.
    """

    columns: dict[str, str]
    stages: dict[str, str]
    options: dict[str, object]
    where: str = "mapping"


def _check_option(name: str, value: object, where: str) -> object:
    ok = {
        "dayfirst": isinstance(value, bool),
        "date_format": isinstance(value, str) and "%" in value,
        "decimal": value in (".", ","),
        "delimiter": isinstance(value, str) and len(value) == 1,
        "encoding": isinstance(value, str),
        "currency": isinstance(value, str) and value.upper() in CURRENCY_CODES,
    }[name]
    if not ok:
        raise DataError(f"{name}: {value!r} is not valid; expected {OPTIONS[name]}", file=where)
    return value.upper() if name == "currency" else value


def load_mapping_spec(
    source: PathLike | Mapping | str | None, entity: str | None = None
) -> MappingSpec:
    """Read a mapping (dict, preset name or YAML/JSON file) for one table.

    A mapping file holds either a plain ``file column: canonical column`` mapping, or sections:
    ``columns:`` and ``stages:``; a section per table (``opportunities:``, ``accounts:``,
    ``stage_history:``, ``leads:``, ``reps:`` for
    :func:`salesworkbench.notebook_inputs.read_reps`), each a ``file column: canonical column``
    mapping that applies to that table only (on top of ``columns:``); and reading options as
    top-level entries (:data:`OPTIONS`: ``dayfirst: true``, ``date_format``, ``decimal: ","``,
    ``delimiter``, ``encoding``, ``currency``). Files are read with
    :func:`salesworkbench.safe_yaml.load_yaml` (a duplicate key or an alias is refused).

    Parameters
    ----------
    source : dict, str or path, optional
        A dict, a preset name from :data:`MAPPINGS` (``"salesforce"``, ``"hubspot"``) or the
        path of a mapping file.
    entity : str, optional
        The table (``"opportunities"``, ``"accounts"``, ``"stage_history"``, ``"leads"``)
        whose section applies.
    """
    if source is None:
        return MappingSpec({}, {}, {})
    if isinstance(source, str) and source in MAPPINGS:
        return MappingSpec(dict(MAPPINGS[source]), {}, {}, f"mapping preset {source!r}")
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        if not path.is_file():
            presets = ", ".join(MAPPINGS)
            raise DataError(f"mapping file not found (presets: {presets})", file=str(path))
        data = load_yaml(path, source=str(path))
        where = str(path)
    else:
        data, where = source, "mapping"
    if not isinstance(data, Mapping):
        raise DataError("a mapping must be 'file column: canonical column' pairs", file=where)
    sections = {"columns", "stages", *_ENTITY_SECTIONS}
    options: dict[str, object] = {}
    if (sections | set(OPTIONS)) & set(data):
        unknown = sorted(map(str, set(data) - sections - set(OPTIONS)))
        if unknown:
            raise DataError(
                f"unknown mapping section(s) {', '.join(map(repr, unknown))}; "
                f"expected {', '.join(sorted(sections))} or an option "
                f"({', '.join(OPTIONS)})",
                file=where,
            )
        columns, stages = dict(data.get("columns") or {}), data.get("stages") or {}
        for section in _ENTITY_SECTIONS:
            if not isinstance(data.get(section) or {}, Mapping):
                raise DataError(f"section {section!r} must map names to names", file=where)
        if entity is not None:
            columns.update(data.get(entity) or {})
        options = {k: _check_option(k, data[k], where) for k in OPTIONS if k in data}
    else:
        columns, stages = data, {}
    for section, pairs in (("columns", columns), ("stages", stages)):
        if not isinstance(pairs, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in pairs.items()
        ):
            raise DataError(f"section {section!r} must map names to names", file=where)
    return MappingSpec(dict(columns), dict(stages), options, where)


def load_mapping(
    source: PathLike | Mapping | str | None, entity: str | None = None
) -> tuple[dict[str, str], dict[str, str]]:
    """Return ``(columns, stages)`` from a mapping dict, a preset name or a YAML/JSON file.

    See :func:`load_mapping_spec`, which also returns the reading options.
    """
    spec = load_mapping_spec(source, entity)
    return spec.columns, spec.stages
