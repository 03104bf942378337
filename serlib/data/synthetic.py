"""A deterministic, multilingual, emotional "speech" corpus synthesised with NumPy and SciPy.

Real corpora are licensed, large and slow to process on a laptop. This generator gives every
chapter a corpus that is free, small, instant and *has the structure of the real problem*:

- **Emotion lives in prosody and voice quality.** Each emotion moves the fundamental
  frequency (F0) level, range and contour, the speaking rate, the energy, the spectral tilt
  of the voice source, breathiness and jitter, in the directions reported for acted speech
  (Scherer, 2003; Juslin & Laukka, 2003): anger is loud, tense and fast with falling accents;
  happiness high with a wide, undulating range; fear high, fast, breathy and trembling;
  sadness low, slow, soft, narrow and breathy; neutral in between.
- **Speakers differ**: gender and base F0, vocal-tract length (formant scaling), rate,
  loudness and how strongly they act.
- **Languages differ in the ways that make cross-lingual SER hard**: their vowel (formant)
  and consonant inventories, rhythm (stress- vs syllable-timed), intonation habits (range,
  declination, final rise or fall) and recording channel (band-limit, tilt, noise, room).
  A model that learns *absolute* cues on one language (e.g. "a wide F0 range means
  happiness") is misled on a language whose neutral habit is already wide: that is the
  cross-lingual gap, reproduced on purpose.

Each utterance is a sequence of consonant-vowel syllables: a noise burst shaped by a band-pass
filter (the consonant), then a glottal pulse train shaped by three formant resonators (the
vowel). The source-filter model is textbook (Fant, 1960); nothing here is trained.

The corpus is written as 16-bit WAV files plus ``metadata.csv`` with the columns every real
corpus uses (see :data:`METADATA_COLUMNS`). Generation is keyed by a hash of its config: the
same config (and seed) gives bit-identical files, a different config a new folder.

Chapter: book/06_cross_lingual_gap.md
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf
import yaml

from serlib.atomic import atomic_path
from serlib.config import config_hash, config_replace, config_to_dict
from serlib.data.root import ensure_writable
from serlib.data.table_check import read_metadata_csv
from serlib.errors import CacheError, ConfigError

__all__ = [
    "EMOTIONS",
    "EMOTION_SPECS",
    "LANGUAGE_SPECS",
    "METADATA_COLUMNS",
    "EmotionSpec",
    "LanguageSpec",
    "SpeakerSpec",
    "SyntheticConfig",
    "generate_corpus",
    "make_speakers",
    "synthesize_utterance",
    "synthetic_config",
]

#: Columns of every metadata table in serlib (real corpora add nothing else that is required).
METADATA_COLUMNS = (
    "path",
    "corpus",
    "language",
    "speaker",
    "gender",
    "emotion",
    "emotion_raw",
    "text_id",
    "duration",
    "sample_rate",
)

#: The five emotions shared by all the corpora of Agarla et al. (their "agarla5" set).
EMOTIONS = ("anger", "fear", "happiness", "neutral", "sadness")


@dataclass(frozen=True)
class EmotionSpec:
    """How one emotion changes a speaker's prosody and voice, relative to neutral.

    Attributes:
        f0_shift: change of the F0 level, in semitones.
        f0_range: factor on the language's F0 excursion (pitch accents, contour).
        rate: factor on the syllable rate (above 1 = faster).
        gain_db: change of the level, in dB.
        tilt: coefficient of the one-pole low-pass on the glottal source: 0 is a bright,
            pressed voice, 0.9 a soft, dull one.
        breath: amount of aspiration noise mixed into the voiced source.
        jitter: random, slow F0 perturbation (fraction of F0).
        tremor: depth of a 6-8 Hz F0 tremor (fraction of F0).
        contour: global F0 shape: "declarative", "fall", "rise_fall" or "flat".
    """

    f0_shift: float
    f0_range: float
    rate: float
    gain_db: float
    tilt: float
    breath: float
    jitter: float
    tremor: float
    contour: str


#: Emotion profiles (direction and rough size of the effects as in Juslin & Laukka, 2003).
EMOTION_SPECS: dict[str, EmotionSpec] = {
    "neutral": EmotionSpec(0.0, 1.0, 1.00, 0.0, 0.55, 0.03, 0.004, 0.0, "declarative"),
    "anger": EmotionSpec(4.0, 1.2, 1.25, 7.0, 0.02, 0.01, 0.010, 0.0, "fall"),
    "happiness": EmotionSpec(6.5, 3.0, 1.00, 3.0, 0.45, 0.02, 0.006, 0.0, "rise_fall"),
    "fear": EmotionSpec(7.5, 0.7, 1.30, -1.0, 0.45, 0.10, 0.025, 0.05, "flat"),
    "sadness": EmotionSpec(-2.5, 0.45, 0.72, -7.0, 0.80, 0.14, 0.008, 0.0, "fall"),
}


@dataclass(frozen=True)
class LanguageSpec:
    """The habits of one synthetic language and of the channel it was recorded on.

    Attributes:
        name: the language name used in the ``language`` column.
        vowels: formant triples (F1, F2, F3) in Hz for an average adult vocal tract.
        consonants: centre frequencies (Hz) of the consonant noise bands.
        syllable_rate: syllables per second in neutral speech.
        rhythm: spread of syllable durations (0 = perfectly regular, syllable-timed).
        stress_every: every n-th syllable carries a pitch accent (stress-timing).
        f0_range: size of a pitch accent in semitones, before the emotion factor.
        declination: F0 drift in semitones per second.
        final: F0 movement over the last syllable in semitones (+ rise, - fall).
        band: the channel's pass band (low, high) in Hz.
        tilt_db: channel high-shelf gain above 2 kHz, in dB.
        noise_db: channel noise level relative to the speech level, in dB.
        room: RT60-like decay of a small room, in seconds (0 = none).
    """

    name: str
    vowels: tuple[tuple[float, float, float], ...]
    consonants: tuple[float, ...]
    syllable_rate: float
    rhythm: float
    stress_every: int
    f0_range: float
    declination: float
    final: float
    band: tuple[float, float]
    tilt_db: float
    noise_db: float
    room: float


#: Three synthetic languages, from "close to lang_a" to "far from lang_a".
LANGUAGE_SPECS: dict[str, LanguageSpec] = {
    # stress-timed, falling statements, studio recording (an "English-like" habit)
    "lang_a": LanguageSpec(
        name="lang_a",
        vowels=((270, 2290, 3010), (530, 1840, 2480), (730, 1090, 2440),
                (570, 840, 2410), (300, 870, 2240)),
        consonants=(5200.0, 6800.0, 3900.0),
        syllable_rate=4.6, rhythm=0.35, stress_every=2,
        f0_range=3.0, declination=-2.0, final=-3.0,
        band=(60.0, 7600.0), tilt_db=0.0, noise_db=-45.0, room=0.0,
    ),
    # syllable-timed, wide intonation with final rises, a darker and noisier channel
    "lang_b": LanguageSpec(
        name="lang_b",
        vowels=((250, 1750, 2150), (370, 1450, 2300), (610, 1900, 2500),
                (750, 1250, 2600), (480, 720, 2500), (320, 1400, 2400)),
        consonants=(2700.0, 4100.0, 1900.0),
        syllable_rate=6.5, rhythm=0.10, stress_every=3,
        f0_range=8.0, declination=-0.5, final=6.0,
        band=(120.0, 5600.0), tilt_db=-8.0, noise_db=-28.0, room=0.12,
    ),
    # mora-timed, flat and high intonation, telephone-like channel: the "distant" language
    "lang_c": LanguageSpec(
        name="lang_c",
        vowels=((420, 1500, 2500), (300, 2100, 2800), (650, 1400, 2300), (380, 1000, 2300)),
        consonants=(1500.0, 3300.0),
        syllable_rate=6.4, rhythm=0.05, stress_every=4,
        f0_range=1.8, declination=0.5, final=1.0,
        band=(300.0, 3600.0), tilt_db=3.0, noise_db=-28.0, room=0.05,
    ),
}


@dataclass(frozen=True)
class SpeakerSpec:
    """One synthetic speaker.

    Attributes:
        speaker: identifier, unique across the corpus (e.g. ``"lang_a_f01"``).
        language: name of the speaker's language.
        gender: ``"female"`` or ``"male"``.
        f0: base fundamental frequency in Hz.
        tract: vocal-tract factor; formants are multiplied by it (women ~1.15, men ~1.0).
        rate: personal factor on the syllable rate.
        gain_db: personal level offset.
        expressiveness: factor on every emotion effect (how strongly this speaker acts).
    """

    speaker: str
    language: str
    gender: str
    f0: float
    tract: float
    rate: float
    gain_db: float
    expressiveness: float


@dataclass(frozen=True)
class SyntheticConfig:
    """What to generate. Every field goes into the corpus' hash (its folder name).

    Attributes:
        languages: names from :data:`LANGUAGE_SPECS`.
        emotions: names from :data:`EMOTION_SPECS`.
        speakers_per_language: at least 4; speakers alternate female and male.
        utterances_per_emotion: utterances per speaker and emotion.
        syllables: inclusive range of the number of syllables of an utterance.
        sample_rate: in Hz, at least 16 000.
        seed: the corpus seed; everything else is derived from it.
    """

    languages: tuple[str, ...] = ("lang_a", "lang_b")
    emotions: tuple[str, ...] = EMOTIONS
    speakers_per_language: int = 10
    utterances_per_emotion: int = 8
    syllables: tuple[int, int] = (5, 8)
    sample_rate: int = 16000
    seed: int = 0

    def __post_init__(self) -> None:
        unknown = [lang for lang in self.languages if lang not in LANGUAGE_SPECS]
        if unknown:
            raise ConfigError(f"unknown synthetic language(s) {unknown}; "
                              f"choose from {sorted(LANGUAGE_SPECS)}")
        unknown = [emo for emo in self.emotions if emo not in EMOTION_SPECS]
        if unknown:
            raise ConfigError(f"unknown synthetic emotion(s) {unknown}; "
                              f"choose from {sorted(EMOTION_SPECS)}")
        if self.speakers_per_language < 4:
            raise ConfigError(f"speakers_per_language={self.speakers_per_language}: "
                              "must be at least 4 (speaker-independent splits need them)")
        if self.sample_rate < 16000:
            raise ConfigError(f"sample_rate={self.sample_rate}: must be at least 16000 Hz")
        if self.utterances_per_emotion < 1:
            raise ConfigError(f"utterances_per_emotion={self.utterances_per_emotion}: must be "
                              "at least 1")
        if len(self.syllables) != 2 or not 2 <= self.syllables[0] <= self.syllables[1]:
            raise ConfigError(f"syllables={self.syllables}: must be (low, high) with "
                              "2 <= low <= high")


def synthetic_config(profile: str = "smoke", **overrides: object) -> SyntheticConfig:
    """The corpus of a book profile, optionally with some fields overridden.

    - ``"smoke"``: 2 languages x 10 speakers x 5 emotions x 8 utterances (800 files, about
      15 minutes of audio, seconds to generate): what CI and a laptop run.
    - ``"cpu"``: 3 languages x 10 speakers x 5 emotions x 16 utterances (2 400 files).
    - ``"full"``: 3 languages x 12 speakers x 5 emotions x 24 utterances (4 320 files).

    Raises:
        ConfigError: for an unknown profile or field.
    """
    profiles = {
        "smoke": SyntheticConfig(),
        "cpu": SyntheticConfig(languages=("lang_a", "lang_b", "lang_c"),
                               utterances_per_emotion=16),
        "full": SyntheticConfig(languages=("lang_a", "lang_b", "lang_c"),
                                speakers_per_language=12, utterances_per_emotion=24),
    }
    if profile not in profiles:
        raise ConfigError(f"unknown profile {profile!r}; choose from {sorted(profiles)}")
    return config_replace(profiles[profile], source=f"synthetic_config({profile!r})",
                          **overrides)


def make_speakers(language: str, count: int, rng: np.random.Generator) -> list[SpeakerSpec]:
    """Draw ``count`` speakers of ``language``, alternating female and male.

    Args:
        language: a name from :data:`LANGUAGE_SPECS`.
        count: how many speakers.
        rng: the random generator (the caller seeds it).
    """
    speakers = []
    for k in range(count):
        female = k % 2 == 0
        gender = "female" if female else "male"
        f0 = rng.uniform(185.0, 235.0) if female else rng.uniform(95.0, 135.0)
        tract = rng.uniform(1.10, 1.20) if female else rng.uniform(0.94, 1.04)
        speakers.append(SpeakerSpec(
            speaker=f"{language}_{gender[0]}{k + 1:02d}",
            language=language,
            gender=gender,
            f0=float(f0),
            tract=float(tract),
            rate=float(rng.uniform(0.9, 1.1)),
            gain_db=float(rng.uniform(-2.0, 2.0)),
            expressiveness=float(rng.uniform(0.9, 1.1)),
        ))
    return speakers


def _resonator(freq: float, bandwidth: float, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """Second-order all-pole resonator with unit gain at DC (one formant)."""
    r = np.exp(-np.pi * bandwidth / sample_rate)
    theta = 2 * np.pi * freq / sample_rate
    a = np.array([1.0, -2 * r * np.cos(theta), r * r])
    return np.array([a.sum()]), a


def _f0_contour(n: int, sample_rate: int, accents: np.ndarray, spk: SpeakerSpec,
                lang: LanguageSpec, emo: EmotionSpec, rng: np.random.Generator) -> np.ndarray:
    """F0 in Hz for every sample: level + contour + accents + declination + final + noise."""
    t = np.arange(n) / sample_rate
    duration = n / sample_rate
    x = t / duration  # 0..1 over the utterance
    e = spk.expressiveness
    range_st = lang.f0_range * (1 + e * (emo.f0_range - 1))
    shape = {
        "declarative": 0.5 - 0.5 * x,
        "fall": 1.0 - 1.3 * x,
        "rise_fall": np.sin(np.pi * x) + 0.5 * np.sin(3 * np.pi * x),
        "flat": np.zeros_like(x),
    }[emo.contour]
    semitones = e * emo.f0_shift + range_st * (0.6 * shape + accents)
    semitones = semitones + lang.declination * t
    last = np.clip((t - (duration - 0.25)) / 0.25, 0.0, 1.0)  # the last 250 ms
    semitones = semitones + lang.final * last
    f0 = spk.f0 * 2.0 ** (semitones / 12.0)
    # slow random wander (jitter) and tremor
    from scipy import signal  # scipy.signal takes seconds to import: on first use

    wander = signal.lfilter([0.002], [1, -0.998], rng.standard_normal(n))
    wander = wander / (np.std(wander) + 1e-9)
    f0 = f0 * (1 + e * emo.jitter * wander)
    if emo.tremor > 0:
        rate = rng.uniform(6.0, 8.0)
        f0 = f0 * (1 + e * emo.tremor * np.sin(2 * np.pi * rate * t + rng.uniform(0, 2 * np.pi)))
    return f0


def synthesize_utterance(spk: SpeakerSpec, emotion: str, rng: np.random.Generator, *,
                         n_syllables: int, sample_rate: int = 16000) -> np.ndarray:
    """Synthesise one utterance of ``spk`` speaking with ``emotion``.

    Args:
        spk: the speaker (its language gives the inventories, rhythm, intonation, channel).
        emotion: a name from :data:`EMOTION_SPECS`.
        rng: the random generator; the same state gives the same waveform.
        n_syllables: how many consonant-vowel syllables.
        sample_rate: in Hz.

    Returns:
        The waveform, float32 in [-1, 1].

    Shape:
        returns (num_samples,).
    """
    from scipy import signal  # on first use, as in _f0_contour

    lang = LANGUAGE_SPECS[spk.language]
    emo = EMOTION_SPECS[emotion]
    e = spk.expressiveness
    rate = lang.syllable_rate * spk.rate * (1 + e * (emo.rate - 1))
    # syllable durations: regular (syllable-timed) or spread (stress-timed)
    durations = rng.lognormal(mean=0.0, sigma=lang.rhythm + 0.02, size=n_syllables) / rate
    durations = np.clip(durations, 0.08, 0.6)
    lengths = np.maximum((durations * sample_rate).astype(int), 200)
    n = int(lengths.sum())
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    stressed = (np.arange(n_syllables) % lang.stress_every) == 0

    # pitch accents: a raised-cosine bump on every stressed syllable
    accents = np.zeros(n)
    for k in np.flatnonzero(stressed):
        a, b = bounds[k], bounds[k + 1]
        accents[a:b] += 0.5 * (1 - np.cos(2 * np.pi * np.arange(b - a) / (b - a)))
    f0 = _f0_contour(n, sample_rate, accents, spk, lang, emo, rng)

    # glottal source: band-limited-enough sawtooth, spectral tilt, aspiration noise
    phase = np.cumsum(f0 / sample_rate)
    pulses = 2.0 * (phase % 1.0) - 1.0
    tilt = min(0.95, emo.tilt + 0.1 * (1 - e))
    # two one-pole low-passes: up to -12 dB/octave more roll-off for a soft, breathy voice
    voiced = signal.lfilter([(1 - tilt) ** 2], np.convolve([1, -tilt], [1, -tilt]),
                            np.diff(pulses, prepend=pulses[0]))
    voiced = voiced / (np.std(voiced) + 1e-9)
    voiced = voiced + emo.breath * 3.0 * rng.standard_normal(n)

    out = np.zeros(n)
    nyquist = sample_rate / 2
    for k in range(n_syllables):
        a, b = bounds[k], bounds[k + 1]
        cut = a + int(0.3 * (b - a))  # 30 % consonant, 70 % vowel
        # consonant: band-passed noise at one of the language's consonant frequencies
        centre = rng.choice(lang.consonants) * rng.uniform(0.9, 1.1)
        low, high = centre / 1.4 / nyquist, min(centre * 1.4 / nyquist, 0.99)
        sos = signal.butter(2, [low, high], btype="bandpass", output="sos")
        burst = signal.sosfilt(sos, rng.standard_normal(cut - a))
        burst *= np.hanning(cut - a) * 0.35
        # vowel: the voiced source through three formant resonators
        f1, f2, f3 = lang.vowels[rng.integers(len(lang.vowels))]
        vowel = voiced[cut:b]
        for freq, bw in ((f1, 80.0), (f2, 110.0), (f3, 160.0)):
            freq = min(freq * spk.tract * rng.uniform(0.96, 1.04), 0.9 * nyquist)
            num, den = _resonator(freq, bw, sample_rate)
            vowel = signal.lfilter(num, den, vowel)
        vowel = vowel / (np.std(vowel) + 1e-9)
        vowel *= np.hanning(b - cut) ** 0.5 * (1.4 if stressed[k] else 1.0)
        out[a:cut] = burst
        out[cut:b] = vowel

    # level: emotion and speaker gain around -26 dBFS RMS
    level_db = -26.0 + e * emo.gain_db + spk.gain_db
    out = out / (np.sqrt(np.mean(out**2)) + 1e-9) * 10 ** (level_db / 20)

    # channel: room, pass band, high-shelf tilt, noise floor
    if lang.room > 0:
        ir_len = int(lang.room * sample_rate)
        ir = rng.standard_normal(ir_len) * np.exp(-6.9 * np.arange(ir_len) / ir_len) * 0.08
        ir[0] = 1.0
        out = signal.fftconvolve(out, ir)[:n]
    low, high = lang.band
    sos = signal.butter(4, [low / nyquist, min(high / nyquist, 0.99)], btype="bandpass",
                        output="sos")
    out = signal.sosfilt(sos, out)
    if lang.tilt_db:
        sos = signal.butter(1, 2000 / nyquist, btype="highpass", output="sos")
        out = out + (10 ** (lang.tilt_db / 20) - 1) * signal.sosfilt(sos, out)
    speech_rms = np.sqrt(np.mean(out**2))
    out = out + rng.standard_normal(n) * speech_rms * 10 ** (lang.noise_db / 20)
    # 20 ms fades so that files start and end in silence-like noise
    fade = int(0.02 * sample_rate)
    ramp = np.linspace(0.0, 1.0, fade)
    out[:fade] *= ramp
    out[-fade:] *= ramp[::-1]
    peak = np.max(np.abs(out))
    if peak > 0.99:
        out = out * (0.99 / peak)
    return out.astype(np.float32)


log = logging.getLogger(__name__)

#: Bumped whenever :func:`synthesize_utterance` changes what it writes for the same specs.
GENERATOR_VERSION = 1


def _corpus_folder(root: Path, config: SyntheticConfig) -> Path:
    """``root/synthetic-<hash>``: the hash covers the config, every spec and the generator."""
    specs = {name: dataclasses.asdict(spec) for name, spec in EMOTION_SPECS.items()}
    langs = {name: dataclasses.asdict(spec) for name, spec in LANGUAGE_SPECS.items()}
    return root / f"synthetic-{config_hash(config, specs, langs, GENERATOR_VERSION)}"


def _write_corpus(folder: Path, config: SyntheticConfig, table_path: Path) -> pd.DataFrame:
    """Synthesise and write every file, then ``metadata.csv`` (relative paths)."""
    seed_seq = np.random.SeedSequence(config.seed)
    lang_seeds = seed_seq.spawn(len(config.languages))
    rows = []
    for lang_name, lang_seed in zip(config.languages, lang_seeds, strict=True):
        spk_seed, utt_seed = lang_seed.spawn(2)
        speakers = make_speakers(lang_name, config.speakers_per_language,
                                 np.random.default_rng(spk_seed))
        utt_seeds = iter(utt_seed.spawn(len(speakers) * len(config.emotions)
                                        * config.utterances_per_emotion))
        for spk in speakers:
            for emotion in config.emotions:
                for idx in range(config.utterances_per_emotion):
                    rng = np.random.default_rng(next(utt_seeds))
                    n_syll = int(rng.integers(config.syllables[0], config.syllables[1] + 1))
                    wav = synthesize_utterance(spk, emotion, rng, n_syllables=n_syll,
                                               sample_rate=config.sample_rate)
                    rel = Path(lang_name) / spk.speaker / f"{spk.speaker}_{emotion}_{idx:02d}.wav"
                    with atomic_path(folder / rel) as tmp:
                        sf.write(tmp, wav, config.sample_rate, subtype="PCM_16", format="WAV")
                    rows.append({
                        "path": rel.as_posix(), "corpus": "synthetic", "language": lang_name,
                        "speaker": spk.speaker, "gender": spk.gender, "emotion": emotion,
                        "emotion_raw": emotion, "text_id": f"s{n_syll}",
                        "duration": len(wav) / config.sample_rate,
                        "sample_rate": config.sample_rate,
                    })
    table = pd.DataFrame(rows, columns=list(METADATA_COLUMNS))
    with atomic_path(folder / "config.yaml") as tmp:
        tmp.write_text(yaml.safe_dump(config_to_dict(config), sort_keys=False))
    with atomic_path(table_path) as tmp:  # written last: its presence marks a complete corpus
        table.to_csv(tmp, index=False)
    return table


def generate_corpus(root: str | Path, config: SyntheticConfig | None = None) -> pd.DataFrame:
    """Write the synthetic corpus under ``root`` (once) and return its metadata table.

    The corpus goes to ``root/synthetic-<hash of config>/``: WAV files in
    ``<language>/<speaker>/<speaker>_<emotion>_<nn>.wav`` and ``metadata.csv``. If that folder
    already holds a complete corpus for the same config, nothing is written; a damaged one
    (``metadata.csv`` unreadable, of the wrong shape or row count, files missing) is
    generated again with a warning.

    Args:
        root: parent folder, e.g. ``serlib.data.cache_root() / "synthetic"``.
        config: what to generate; default :func:`synthetic_config` ("smoke").

    Returns:
        One row per file with :data:`METADATA_COLUMNS`; ``path`` is absolute.

    Raises:
        CacheError: the folder cannot be written (checked before generating anything).
    """
    config = config or SyntheticConfig()
    folder = _corpus_folder(Path(root), config)
    table_path = folder / "metadata.csv"
    if table_path.exists():
        table, reason = read_metadata_csv(table_path, METADATA_COLUMNS)
        expected = (len(config.languages) * config.speakers_per_language
                    * len(config.emotions) * config.utterances_per_emotion)
        if table is not None and len(table) != expected:
            table, reason = None, f"lists {len(table)} files, the config makes {expected}"
        if table is not None:
            table["path"] = [str(folder / p) for p in table["path"]]
            absent = [p for p in table["path"] if not Path(p).is_file()]
            if not absent:
                return table
            reason = f"{len(absent)} of its files are missing (e.g. {absent[0]})"
        log.warning("damaged synthetic corpus %s: %s; generating it again", table_path, reason)
    ensure_writable(folder, what="the synthetic corpus")
    try:
        table = _write_corpus(folder, config, table_path)
    except OSError as err:  # e.g. the disk filled up half-way: no metadata.csv, so incomplete
        raise CacheError(f"cannot write the synthetic corpus under {folder} "
                         f"({err.strerror or err}); free some space or point SERLIB_CACHE at "
                         "another folder, then run again") from None
    table["path"] = [str(folder / p) for p in table["path"]]
    return table
