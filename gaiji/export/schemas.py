"""JSON Schema and XSD of the mapping table, generated from :mod:`gaiji.export.columns`.

The files shipped in ``mappings/`` are this module's output (``python -m
gaiji.export.schemas mappings/`` regenerates them; a test checks they are current). The
library validates against the in-memory copies, so an installed package needs no checkout.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from lxml import etree

from gaiji.export.columns import COLUMNS, ENUMS, IDENTIFICATION_CLASSES, META_KEYS, Column

FORMAT_NAME = "gaiji-mapping"
FORMAT_VERSION = 1
XML_NAMESPACE = "urn:gaiji:mapping:1"
JSON_SCHEMA_FILE = "mapping.schema.json"
XSD_FILE = "mapping.xsd"


def _json_property(col: Column) -> dict[str, Any]:
    prop: dict[str, Any] = {"description": col.description}
    if col.kind == "bool":
        prop["type"] = "boolean"
        return prop
    if col.kind == "enum":
        values = list(ENUMS[col.name])
        prop["enum"] = values if col.required else values + [""]
        return prop
    prop["type"] = "string"
    if col.pattern:
        prop["pattern"] = f"^({col.pattern})?$" if not col.required else f"^({col.pattern})$"
    if col.required:
        prop["minLength"] = 1
    return prop


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a mapping table in JSON."""
    matched = [c for c in IDENTIFICATION_CLASSES if c != "該当なし"]
    row = {
        "type": "object",
        "properties": {c.name: _json_property(c) for c in COLUMNS},
        "required": [c.name for c in COLUMNS if not c.optional],
        "additionalProperties": False,
        "allOf": [
            {   # a final row always says how it was identified
                "if": {"properties": {"status": {"const": "final"}}},
                "then": {"properties": {"identification_class": {"enum": list(IDENTIFICATION_CLASSES)}}},
            },
            {   # an identified row names its MJ character and the character itself …
                "if": {"properties": {"identification_class": {"enum": matched}, "ref_set": {"enum": ["", "MJ"]}}},
                "then": {"properties": {"mj": {"minLength": 1}, "ucs": {"minLength": 1},
                                        "char": {"minLength": 1}}},
            },
            {   # … or an added set's character: its identifier and code, and no MJ number
                "if": {"properties": {"ref_set": {"not": {"enum": ["", "MJ"]}}}, "required": ["ref_set"]},
                "then": {"properties": {"mj": {"maxLength": 0}, "ref_id": {"minLength": 1},
                                        "ucs": {"minLength": 1}, "char": {"minLength": 1},
                                        "identification_class": {"enum": matched + [""]}},
                         "required": ["ref_id"]},
            },
            {   # a selector needs its base
                "if": {"properties": {"ivs": {"minLength": 1}}},
                "then": {"properties": {"ucs": {"minLength": 1}}},
            },
            {   # use_fallback needs something to fall back to
                "if": {"properties": {"use_fallback": {"const": True}}},
                "then": {"properties": {"fallback_char": {"minLength": 1}}},
            },
        ],
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": XML_NAMESPACE,
        "title": "gaiji mapping table (外字 → MJ / UCS + IVS)",
        "description": "One row per gaiji. Generated from gaiji/export/columns.py; see mappings/README.md.",
        "type": "object",
        "properties": {
            "format": {"const": FORMAT_NAME},
            "format_version": {"const": FORMAT_VERSION},
            "generator": {"type": "string"},
            "generated_at": {"type": "string"},
            "reference_version": {"type": "string"},
            "review_chain_head": {"type": "string"},
            "review_signing_key": {"type": "string"},
            "rows": {"type": "array", "items": {"$ref": "#/$defs/row"}},
        },
        "required": ["format", "format_version", "rows"],
        "additionalProperties": False,
        "$defs": {"row": row},
    }


def json_schema_text() -> str:
    return json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n"


_XS = "http://www.w3.org/2001/XMLSchema"


def _xs(tag: str, parent: etree._Element | None = None, **attrs: str) -> etree._Element:
    if parent is None:
        return etree.Element(f"{{{_XS}}}{tag}", attrs, nsmap={"xs": _XS, None: XML_NAMESPACE})
    return etree.SubElement(parent, f"{{{_XS}}}{tag}", attrs)


def _xsd_simple_type(schema: etree._Element, col: Column) -> str:
    if col.kind == "bool":
        return "xs:boolean"
    if col.kind == "text" and not col.pattern and not col.required:
        return "xs:string"
    name = f"{col.name}Type"
    st = _xs("simpleType", schema, name=name)
    _xs("annotation", st).append(_doc(col.description))
    restriction = _xs("restriction", st, base="xs:string")
    if col.kind == "enum":
        values = list(ENUMS[col.name]) + ([] if col.required else [""])
        for v in values:
            _xs("enumeration", restriction, value=v)
    elif col.pattern:
        _xs("pattern", restriction, value=f"({col.pattern})" + ("" if col.required else "?"))
    else:
        _xs("minLength", restriction, value="1")
    return name


def _doc(text: str) -> etree._Element:
    doc = etree.Element(f"{{{_XS}}}documentation")
    doc.text = text
    return doc


def xsd_text() -> str:
    """The XML Schema of a mapping table in XML (root ``mapping``, one ``row`` per gaiji)."""
    schema = _xs("schema", None, targetNamespace=XML_NAMESPACE, elementFormDefault="qualified")
    _xs("annotation", schema).append(
        _doc("gaiji mapping table. Generated from gaiji/export/columns.py; see mappings/README.md.")
    )
    types = {c.name: _xsd_simple_type(schema, c) for c in COLUMNS}
    row_type = _xs("complexType", schema, name="Row")
    seq = _xs("sequence", row_type)
    for c in COLUMNS:
        if c.optional:
            _xs("element", seq, name=c.name, type=types[c.name], minOccurs="0")
        else:
            _xs("element", seq, name=c.name, type=types[c.name])
    root = _xs("element", schema, name="mapping")
    ct = _xs("complexType", root)
    _xs("sequence", ct).append(
        etree.Element(f"{{{_XS}}}element", name="row", type="Row", minOccurs="0", maxOccurs="unbounded")
    )
    _xs("attribute", ct, name="format_version", type="xs:integer", use="required", fixed=str(FORMAT_VERSION))
    for attr in META_KEYS:
        _xs("attribute", ct, name=attr, type="xs:string")
    return etree.tostring(schema, pretty_print=True, xml_declaration=True, encoding="UTF-8").decode("utf-8")


_xsd_cache: list[etree.XMLSchema] = []


def xml_schema() -> etree.XMLSchema:
    if not _xsd_cache:
        _xsd_cache.append(etree.XMLSchema(etree.fromstring(xsd_text().encode("utf-8"))))
    return _xsd_cache[0]


def write_schema_files(folder: str | Path) -> list[Path]:
    """Write ``mapping.schema.json`` and ``mapping.xsd`` into *folder*."""
    from gaiji.fsutil import atomic_write

    folder = Path(folder)
    written = []
    for name, text in ((JSON_SCHEMA_FILE, json_schema_text()), (XSD_FILE, xsd_text())):
        with atomic_write(folder / name) as handle:
            handle.write(text)
        written.append(folder / name)
    return written


if __name__ == "__main__":  # pragma: no cover - maintenance entry point
    for p in write_schema_files(sys.argv[1] if len(sys.argv) > 1 else "mappings"):
        sys.stderr.write(f"wrote {p}\n")
