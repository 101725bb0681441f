"""Built-in detectors, one module each; ``server.scoring.registry`` lists them."""
