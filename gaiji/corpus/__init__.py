"""Pipeline stage: corpus — many municipalities' gaiji sets as one corpus.

Shared glyphs are found once (:mod:`.group`), each distinct glyph is matched once and the
candidates fanned out to every set (:mod:`.match`), a final decision on one member becomes a
proposal for the rest of its group (:mod:`.reuse`), and :mod:`.export` writes per-municipality
mapping tables plus one national table of groups. :mod:`.engine` runs the partitions on Dask
(an embedded ``LocalCluster`` or an existing cluster by scheduler address); :mod:`.simulate`
makes a national-scale corpus whose answer key is kept apart from the stages.
"""

from gaiji.corpus.export import export_corpus
from gaiji.corpus.pipeline import run_stages
from gaiji.corpus.registry import add_sets, read_registry
from gaiji.corpus.reuse import propose_corpus
from gaiji.corpus.simulate import simulate_corpus
from gaiji.corpus.status import corpus_status

__all__ = ["add_sets", "corpus_status", "export_corpus", "propose_corpus", "read_registry", "run_stages",
           "simulate_corpus"]
