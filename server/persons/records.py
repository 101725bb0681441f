"""Person records at the edge: a JSON object (API) or flags (CLI) become checked fields.

``check_fields(body, parser, partial=False)`` returns only known fields, each cleaned
(spaces collapsed, duplicates dropped, domains as ASCII hosts without ``www.``, accounts
readable by ``channels.parse_account``); a bad field raises ``PersonInvalid`` naming it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from server.links.url import LinkParser
from server.persons.channels import normalize_domain, parse_account
from server.persons.registry import (
    FIELDS,
    PersonInvalid,
    check_description,
    check_list,
    check_name,
)


def check_fields(
    body: Mapping[str, Any], parser: LinkParser, *, partial: bool = False
) -> dict[str, Any]:
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise PersonInvalid(
            unknown[0][:64],
            f"Unknown field(s): {', '.join(u[:64] for u in unknown[:5])}."
            f" Allowed: {', '.join(FIELDS)}.",
        )
    if not partial and "name" not in body:
        raise PersonInvalid("name", "The field 'name' is required.")
    if partial and not body:
        raise PersonInvalid("name", f"Send at least one field to change: {', '.join(FIELDS)}.")
    fields: dict[str, Any] = {}
    if "name" in body:
        fields["name"] = check_name(body["name"], "name")
    if "aliases" in body:
        aliases = check_list(body["aliases"], "aliases")
        fields["aliases"] = [check_name(a, "aliases") for a in aliases]
    if "description" in body:
        fields["description"] = check_description(body["description"])
    if "official_domains" in body:
        domains = check_list(body["official_domains"], "official_domains")
        fields["official_domains"] = list(
            dict.fromkeys(normalize_domain(d, parser) for d in domains)
        )
    if "official_accounts" in body:
        accounts = check_list(body["official_accounts"], "official_accounts")
        for account in accounts:
            parse_account(account, parser)
        fields["official_accounts"] = accounts
    if "never" in body:
        fields["never"] = check_list(body["never"], "never")
    return fields
