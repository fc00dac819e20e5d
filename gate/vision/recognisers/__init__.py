"""Face recogniser plug-ins, chosen by `face.recogniser.type` in config."""
