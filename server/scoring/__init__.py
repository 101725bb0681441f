"""The scoring pipeline: detectors produce evidence, one combiner turns it into a verdict."""
