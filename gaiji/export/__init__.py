"""Pipeline stage: export — the mapping table vendors import, its validation, and data conversion.

Entry points (each is what one CLI command calls):

* :func:`export_mapping` (``gaiji export``) — final review decisions + gaiji set + MJ reference →
  CSV/TSV/JSON/XML (:mod:`.tables` builds the rows, :mod:`.writers` writes them, the columns are
  defined once in :mod:`.columns`, schemas in :mod:`.schemas`, 縮退 in :mod:`.fallback`,
  target-font checks in :mod:`.fontcheck`);
* :func:`validate_mapping` (``gaiji validate``) — any mapping table, ours or a vendor's
  (:mod:`.readers` reads it, problems name their rows);
* :func:`load_conversion_table` + :func:`convert_files` (``gaiji convert``) — CP932 / UTF-8 /
  EUC-JP data with gaiji → UTF-8 with UCS + IVS, streaming, with a report of what could not be
  converted; :func:`convert_fixed_width` (``--layout``) for fixed-width records (:mod:`.fixedwidth`);
* :func:`diff_tables` / :func:`merge_tables` (``gaiji export diff|merge``) — a table's lifecycle
  (:mod:`.lifecycle`).
"""

from gaiji.export.convert import ConversionTable, convert_files, load_conversion_table
from gaiji.export.fallback import choose_fallback, rank_fallbacks
from gaiji.export.fixedwidth import convert_fixed_width, read_layout
from gaiji.export.lifecycle import diff_tables, merge_tables
from gaiji.export.mapping import ExportResult, export_mapping
from gaiji.export.validate import ValidationReport, validate_mapping

__all__ = [
    "ConversionTable",
    "ExportResult",
    "ValidationReport",
    "choose_fallback",
    "convert_files",
    "convert_fixed_width",
    "diff_tables",
    "export_mapping",
    "load_conversion_table",
    "merge_tables",
    "rank_fallbacks",
    "read_layout",
    "validate_mapping",
]
