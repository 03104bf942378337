"""Where each corpus comes from: official archive URLs and the hashes their publishers document.

Only hashes published by the source itself are listed (Zenodo shows an MD5 for every file);
where none is published the hash is None and the corpus verification after extraction
(file and per-emotion counts) is the check. Corpora whose licence requires registration or
a signed form are ``manual``: serlib prints where to get them and imports the folder the user
has (``serlib data fetch ID --from-dir DIR``); it never downloads them.

Chapter: book/02_corpora.md
"""

from __future__ import annotations

from dataclasses import dataclass

from serlib.data.corpora import get_corpus

__all__ = ["SOURCES", "Archive", "Source", "get_source", "manual_instructions"]


@dataclass(frozen=True)
class Archive:
    """One file to download.

    Attributes:
        url: the official address.
        filename: the name it is cached under.
        known_hash: ``"md5:<hex>"`` or ``"sha256:<hex>"`` as the publisher documents it, or
            None when the publisher documents none.
        size: bytes, when documented (used only in messages).
    """

    url: str
    filename: str
    known_hash: str | None = None
    size: int | None = None


@dataclass(frozen=True)
class Source:
    """How to obtain a corpus: archives to download (empty for manual corpora) and a note."""

    corpus: str
    archives: tuple[Archive, ...]
    instructions: str


def _github(repo: str, corpus: str) -> Archive:
    # HEAD = the repository's default branch; GitHub publishes no hash for branch archives
    return Archive(f"https://github.com/{repo}/archive/HEAD.zip", f"{corpus}-HEAD.zip")


SOURCES: dict[str, Source] = {
    s.corpus: s for s in (
        Source("emodb", (Archive("http://emodb.bilderbar.info/download/download.zip",
                                 "emodb-download.zip"),),  # no hash published
               "Download download.zip from http://emodb.bilderbar.info/ (free for research)."),
        Source("ravdess", (Archive(
            "https://zenodo.org/records/1188976/files/Audio_Speech_Actors_01-24.zip?download=1",
            "Audio_Speech_Actors_01-24.zip",
            known_hash="md5:bc696df654c87fed845eb13823edef8a",  # as listed on the Zenodo record
            size=208_468_073),),
            "Download Audio_Speech_Actors_01-24.zip from https://zenodo.org/records/1188976."),
        Source("tess", (Archive(
            "https://borealisdata.ca/api/access/dataset/:persistentId/"
            "?persistentId=doi:10.5683/SP2/E8H2MF", "tess-dataverse.zip"),),  # no hash published
            "Download all files of doi:10.5683/SP2/E8H2MF (University of Toronto Dataverse, "
            "https://borealisdata.ca) and unzip them into one folder."),
        Source("savee", (), "Register at http://kahlan.eps.surrey.ac.uk/savee/ and download "
               "AudioData (folders DC, JE, JK, KL); a flat copy with DC_a01.wav names works too."),
        Source("cafe", (Archive("https://zenodo.org/records/1478765/files/CaFE_48k.zip?download=1",
                                "CaFE_48k.zip"),),  # Zenodo MD5 not recorded here: None
               "Download CaFE_48k.zip from https://zenodo.org/records/1478765."),
        Source("emovo", (), "Request EMOVO at http://voice.fub.it/activities/corpora/emovo/ "
               "(research use); unzip it so that the folders f1 f2 f3 m1 m2 m3 are present."),
        Source("shemo", (Archive("https://github.com/pariajm/sharif-emotional-speech-dataset"
                                 "/raw/HEAD/male.zip", "shemo-male.zip"),
                         Archive("https://github.com/pariajm/sharif-emotional-speech-dataset"
                                 "/raw/HEAD/female.zip", "shemo-female.zip")),
               "Download male.zip and female.zip from "
               "https://github.com/pariajm/sharif-emotional-speech-dataset and unzip both."),
        Source("iemocap", (), "Fill in the licence form at https://sail.usc.edu/iemocap/ and "
               "unpack IEMOCAP_full_release (folders Session1 ... Session5)."),
        Source("nemo", (_github("amu-cai/nEMO", "nemo"),),
               "Clone or download https://github.com/amu-cai/nEMO (samples/ and data.tsv)."),
        Source("urdu", (_github("siddiquelatif/URDU-Dataset", "urdu"),),
               "Clone or download https://github.com/siddiquelatif/URDU-Dataset."),
        Source("ased", (_github("Ethio2021/ASED_V1", "ased"),),
               "Clone or download https://github.com/Ethio2021/ASED_V1."),
        Source("turevdb", (_github("Xeonen/TurEV-DB", "turevdb"),),
               "Clone or download https://github.com/Xeonen/TurEV-DB (audio in 'Sound Source')."),
    )
}


def get_source(corpus: str) -> Source:
    """The download source of a corpus (raises CorpusNotFoundError for an unknown id).

    A plug-in corpus (:func:`serlib.data.register_corpus`) without an entry in
    :data:`SOURCES` is a manual one: its instructions point at its spec's ``source``.
    """
    spec = get_corpus(corpus)
    return SOURCES.get(spec.id) or Source(
        spec.id, (), f"{spec.name} is a plug-in corpus: get it from {spec.source}.")


def manual_instructions(corpus: str) -> str:
    """What a user does to get ``corpus`` without serlib downloading it."""
    spec = get_corpus(corpus)
    source = get_source(spec.id)
    return (f"{spec.name} ({spec.licence}).\n  {source.instructions}\n  Then import the folder: "
            f"serlib data fetch {spec.id} --from-dir /path/to/folder\n  (or point "
            f"SERLIB_DATA at a folder that holds it as {spec.id}/)")
