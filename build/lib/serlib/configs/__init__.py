"""The experiment configs shipped with serlib, installed as the package ``serlib.configs``.

``serlib experiment run NAME`` finds ``NAME.yaml`` here (see
``serlib.experiments.config.find_config``); the files are YAML, this module holds no code.
"""
