"""The Shallow network page's trainer: its session (one typed state, the settings that travel in the URL, the run's
life cycle), its controls, the trainer panel (Train, Pause, Step, Reset, readouts, status and live chart) and the
views inside the network."""
