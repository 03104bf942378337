"""Corpus plug-ins: registering a spec and a parser, typed errors, loading by module name."""

from __future__ import annotations

import dataclasses
import re
import sys
from pathlib import Path

import pytest

from serlib.data import (
    CORPORA,
    CorpusSpec,
    NameParseError,
    Utterance,
    get_corpus,
    get_source,
    load_corpus,
    load_corpus_plugins,
    manual_instructions,
    name_parser,
    register_corpus,
    registered_root,
    unregister_corpus,
)
from serlib.errors import (
    CorpusNotFoundError,
    CorpusRegistrationError,
    DataWarning,
    UnknownCorpusError,
)

_NAME = re.compile(r"^([fm])(\d\d)_t(\d{3})_([A-Z]{3})$")


def parse_name(path: Path) -> Utterance:
    """``f01_t003_ANG.wav``: gender letter, speaker, take, emotion code."""
    match = _NAME.match(path.stem)
    if not match:
        raise NameParseError("expected <f|m><speaker 2 digits>_t<take 3 digits>_<CODE>.wav")
    gender, speaker, take, code = match.groups()
    return Utterance(speaker=f"{gender}{speaker}", emotion_raw=code,
                     gender={"f": "female", "m": "male"}[gender], text_id=take)


def make_spec(**changes) -> CorpusSpec:
    spec = CorpusSpec(id="mylab", name="My lab's recordings", language="Italian",
                      licence="consent for research use", source="recorded in the lab",
                      fetch="manual", native_rate=16000,
                      emotions={"ANG": "anger", "SAD": "sadness", "NEU": "neutral"},
                      make_parser=name_parser(parse_name))
    return dataclasses.replace(spec, **changes)


@pytest.fixture(autouse=True)
def _clean_registry():
    before = dict(CORPORA)
    yield
    for corpus in set(CORPORA) - set(before):
        unregister_corpus(corpus)
    CORPORA.update(before)


def test_registered_corpus_loads_like_a_builtin_one(make_corpus) -> None:
    root = make_corpus(["f01_t001_ANG.wav", "f01_t002_SAD.wav", "m02_t001_NEU.wav",
                        "notes/readme_x.wav"], folder="mylab_copy")
    register_corpus(make_spec(), parse_name, root=root)
    assert get_corpus("MyLab").language == "Italian"
    assert registered_root("mylab") == root.absolute()
    table = load_corpus("mylab", progress=False)  # found through the registered root
    assert list(table["speaker"]) == ["mylab_f01", "mylab_f01", "mylab_m02"]
    assert list(table["emotion"]) == ["anger", "sadness", "neutral"]
    assert list(table["gender"]) == ["female", "female", "male"]
    assert table.attrs["skipped"]["unparsed"] == 1  # readme_x.wav: reported, not guessed
    assert "plug-in" in get_source("mylab").instructions
    assert "recorded in the lab" in manual_instructions("mylab")


def test_parser_argument_replaces_the_specs_parser(make_corpus) -> None:
    root = make_corpus(["f01_t001_ANG.wav"])

    def never(path: Path) -> Utterance:
        raise NameParseError("the spec's own parser must not be used")

    register_corpus(make_spec(make_parser=name_parser(never)), parse_name, root=root)
    assert len(load_corpus("mylab", progress=False)) == 1


def test_duplicate_id_is_refused_unless_replace() -> None:
    register_corpus(make_spec())
    with pytest.raises(CorpusRegistrationError, match=r"already registered.*replace=True"):
        register_corpus(make_spec())
    register_corpus(make_spec(language="Sardinian"), replace=True)
    assert get_corpus("mylab").language == "Sardinian"
    with pytest.raises(CorpusRegistrationError, match="built-in"):
        register_corpus(make_spec(id="emodb"))


@pytest.mark.parametrize(("changes", "match"), [
    ({"id": "My-Lab"}, "lowercase"),
    ({"id": "synthetic"}, "reserved"),
    ({"language": " "}, "language must be a non-empty string"),
    ({"fetch": "http"}, "fetch"),
    ({"native_rate": 0}, "native_rate"),
    ({"emotions": {}}, "emotions must map"),
    ({"emotions": {"ANG": "rage"}}, r"\['rage'\].*vocabulary"),
    ({"expected_counts": {"fear": 3}}, "expected_counts"),
    ({"extensions": ("wav",)}, "extensions"),
    ({"make_parser": None}, "make_parser"),
])
def test_bad_specs_get_typed_errors_naming_the_field(changes, match) -> None:
    with pytest.raises(CorpusRegistrationError, match=match):
        register_corpus(make_spec(**changes))
    assert "mylab" not in CORPORA and "My-Lab" not in CORPORA


def test_not_a_spec_or_parser() -> None:
    with pytest.raises(CorpusRegistrationError, match="CorpusSpec"):
        register_corpus({"id": "mylab"})  # type: ignore[arg-type]
    with pytest.raises(CorpusRegistrationError, match="parser"):
        register_corpus(make_spec(), "not a function")  # type: ignore[arg-type]


def test_unregister() -> None:
    register_corpus(make_spec(), root="/somewhere")
    assert unregister_corpus("mylab").id == "mylab"
    assert registered_root("mylab") is None
    with pytest.raises(UnknownCorpusError):
        get_corpus("mylab")
    with pytest.raises(CorpusNotFoundError, match="no corpus"):
        unregister_corpus("mylab")
    with pytest.raises(CorpusRegistrationError, match="built-in"):
        unregister_corpus("emodb")


def test_plugin_modules_by_name(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "mylab_plugin.py").write_text(
        "import re\n"
        "from serlib.data import CorpusSpec, Utterance, name_parser\n"
        "def parse_name(path):\n"
        "    speaker, code = path.stem.split('_')\n"
        "    return Utterance(speaker=speaker, emotion_raw=code)\n"
        "SPEC = CorpusSpec(id='pluglab', name='Plug lab', language='Welsh', licence='CC-BY',\n"
        "                  source='lab', fetch='manual', native_rate=16000,\n"
        "                  emotions={'ANG': 'anger'}, make_parser=name_parser(parse_name))\n"
        "ROOT = '/data/pluglab'\n")
    (tmp_path / "broken_plugin.py").write_text("SPEC = 3\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("SERLIB_CORPUS_PLUGINS", "mylab_plugin, broken_plugin")
    with pytest.raises(CorpusRegistrationError, match="broken_plugin"):
        load_corpus_plugins(entry_point_group=None)
    assert get_corpus("pluglab").language == "Welsh"
    assert registered_root("pluglab") == Path("/data/pluglab")
    with pytest.warns(DataWarning, match="broken_plugin"):
        ids = load_corpus_plugins(entry_point_group=None, strict=False, replace=True)
    assert ids == ["pluglab"]
    with pytest.raises(CorpusRegistrationError, match="no_such_module"):
        load_corpus_plugins(["no_such_module"], entry_point_group=None)
    sys.modules.pop("mylab_plugin", None)
    sys.modules.pop("broken_plugin", None)
