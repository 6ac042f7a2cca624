"""The curated gazetteer: organisations the seed articles name, with the aliases they
are named by, each mapped to one canonical name.

Canonical names are the organisations' usual full English names; ``short`` is the
name used in short claim summaries. Where an article uses a garbled or literal
translation, the alias maps it to the organisation it denotes (noted beside it).
Change ``GAZETTEER_VERSION`` (and the extractor version) whenever an entry changes.
"""

from __future__ import annotations

from dataclasses import dataclass

GAZETTEER_VERSION = "seed-organisations/1"


@dataclass(frozen=True, slots=True)
class Organisation:
    """One organisation: canonical name, short name, and every alias (exact spelling,
    with ``'`` for any apostrophe) that names it."""

    canonical: str
    short: str
    aliases: tuple[str, ...]


ORGANISATIONS: tuple[Organisation, ...] = (
    # Government and regulators.
    Organisation(
        "State-owned Assets Supervision and Administration Commission of the State Council",
        "SASAC",
        (
            "State-owned Assets Supervision and Administration Commission of the State Council",
            "State-owned Assets Supervision and Administration Commission",
            "State-Owned Assets Supervision and Administration Commission",
            "SASAC",
        ),
    ),
    Organisation(
        "Ministry of Industry and Information Technology",
        "MIIT",
        ("Ministry of Industry and Information Technology", "MIIT"),
    ),
    Organisation(
        "National Development and Reform Commission",
        "NDRC",
        ("National Development and Reform Commission", "NDRC"),
    ),
    Organisation(
        "China Securities Regulatory Commission",
        "CSRC",
        ("China Securities Regulatory Commission", "Securities Regulatory Commission", "CSRC"),
    ),
    Organisation(
        "Ministry of Human Resources and Social Security",
        "MOHRSS",
        ("Ministry of Human Resources and Social Security", "MOHRSS"),
    ),
    # The Office of the Central Cyberspace Affairs Commission and the Cyberspace
    # Administration of China are one body under two names; 004 calls it the "Office of
    # the Central Cyber Security and Informatization Commission".
    Organisation(
        "Cyberspace Administration of China",
        "CAC",
        (
            "Cyberspace Administration of China",
            "Office of the Central Cyber Security and Informatization Commission",
            "Office of the Central Cyberspace Affairs Commission",
            "CAC",
        ),
    ),
    Organisation("People's Bank of China", "PBOC", ("People's Bank of China", "PBOC")),
    # Central enterprises and companies.
    Organisation(
        "State Grid Corporation of China",
        "State Grid",
        ("State Grid Corporation of China", "State Grid", "SGCC"),
    ),
    Organisation(
        "China Electronics Technology Group Corporation",
        "CETC",
        ("China Electronics Technology Group Corporation", "CETC"),
    ),
    Organisation("Sinochem Group", "Sinochem", ("Sinochem Group", "Sinochem")),
    Organisation("China Mobile", "China Mobile", ("China Mobile",)),
    Organisation("China Unicom", "China Unicom", ("China Unicom",)),
    Organisation("China Telecom", "China Telecom", ("China Telecom",)),
    # 000 names the two aerospace groups by the Chinese short forms, translated.
    Organisation(
        "China Aerospace Science and Technology Corporation",
        "CASC",
        (
            "China Aerospace Science and Technology Corporation",
            "Aerospace Science and Technology",
            "CASC",
        ),
    ),
    Organisation(
        "China Aerospace Science and Industry Corporation",
        "CASIC",
        (
            "China Aerospace Science and Industry Corporation",
            "Aerospace Science and Industry",
            "CASIC",
        ),
    ),
    # "Ordnance Industry Corporation" in 000 translates the short form of China North
    # Industries Group (Norinco).
    Organisation(
        "China North Industries Group Corporation",
        "Norinco",
        (
            "China North Industries Group Corporation",
            "China North Industries Group",
            "Ordnance Industry Corporation",
            "Norinco",
            "NORINCO",
        ),
    ),
    Organisation("PetroChina", "PetroChina", ("PetroChina",)),
    Organisation("Sinopec", "Sinopec", ("Sinopec",)),
    Organisation("Bank of China", "Bank of China", ("Bank of China",)),
    Organisation(
        "China TravelSky Holding Company",
        "TravelSky",
        ("China TravelSky Holding Company", "TravelSky"),
    ),
    Organisation("Inspur", "Inspur", ("Inspur",)),
    Organisation("IBM", "IBM", ("IBM",)),
    Organisation("JD Logistics", "JD Logistics", ("JD Logistics",)),
    Organisation("Yizhi Technology", "Yizhi Technology", ("Yizhi Technology",)),
    Organisation("AVIC Securities", "AVIC Securities", ("AVIC Securities",)),
    # Associations and research bodies.
    # 000's "China Internet Finance Association" is the National Internet Finance
    # Association of China.
    Organisation(
        "National Internet Finance Association of China",
        "NIFA",
        (
            "National Internet Finance Association of China",
            "China Internet Finance Association",
            "NIFA",
        ),
    ),
    # 003's "China Xintong Institute" transliterates the short name of CAICT.
    Organisation(
        "China Academy of Information and Communications Technology",
        "CAICT",
        (
            "China Academy of Information and Communications Technology",
            "China Xintong Institute",
            "CAICT",
        ),
    ),
    # Publications named as sources.
    Organisation("CoinYuppie", "CoinYuppie", ("CoinYuppie", "Coinyuppie")),
    Organisation("Securities Daily", "Securities Daily", ("Securities Daily",)),
    Organisation(
        "Shanghai Securities News", "Shanghai Securities News", ("Shanghai Securities News",)
    ),
    Organisation(
        "People's Daily",
        "People's Daily",
        ("People's Daily Overseas Edition", "People's Daily"),
    ),
)
