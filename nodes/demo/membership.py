"""Chapter: membership. Quanzhou port, the food chain's organisations and a Singapore
importer join the consortium, each only once a quorum of the organisations then in it
approves; trust.json is refreshed with the new roster."""

from __future__ import annotations

from rich.table import Table

from ledger.keys import SigningKey, write_key_file
from nodes.bootstrap import key_paths, write_json
from nodes.cli.member_cmd import fetch_trust
from nodes.demo.context import Demo, Step

# (organisation, roles, why it joins)
JOINERS = (
    ("quanzhou-port", ["carrier", "retailer"], "the port of Quanzhou, carrier of both flows"),
    ("greenfarm", ["producer"], "an apple farm in Fujian"),
    ("minfood", ["processor"], "a juice and purée processor"),
    ("freshmart", ["retailer"], "a supermarket chain"),
    ("sg-energy", ["retailer"], "the gasoline importer in Singapore"),
)


def admit_members(demo: Demo) -> None:
    """Admit ``JOINERS`` one by one: a proposal, then approvals up to the quorum."""
    table = Table(title="organisations admitted by membership votes")
    for col in ("organisation", "roles", "role in the story", "approved by", "quorum", "height"):
        table.add_column(col)
    for name, roles, why in JOINERS:
        key = SigningKey.generate()
        write_key_file(key_paths(demo.out, name)[0], key, overwrite=True)
        roster = demo.get("/v1/members")["organisations"]
        voters = [o["name"] for o in roster]
        needed = len(voters) // 2 + 1
        change = {"organisation": name, "roles": roles, "keys": [key.public.hex()], "reason": why}
        proposed = demo.run([Step(voters[0], "membership", "propose", change, f"propose {name}")])
        pid = proposed[0]["tx"].tx_id
        approvals = [
            Step(v, "membership", "approve", {"proposal": pid}, f"{v} approves {name}")
            for v in voters[1:needed]
        ]
        rows = demo.run(approvals)
        found = demo.get(f"/v1/membership/proposals/{pid}")
        demo.expect(found["status"] == "applied", f"{name} did not join: {found['status']}")
        table.add_row(
            name,
            ", ".join(roles),
            why,
            ", ".join(found["approvals"]),
            f"{len(found['approvals'])} of {len(voters)}",
            str(rows[-1]["status"].get("height")),
        )
    demo.console.print(table)
    trust = fetch_trust(demo.client, demo.layout)
    write_json(demo.layout.trust, trust.to_dict())
    demo.console.print(
        f"trust.json refreshed: {len(trust.organisations)} organisations, same chain id and "
        "validators (a verifier can now name the new depositors)",
        highlight=False,
    )
