"""Media: decoding with limits (``decode``), the content MEDIA detectors read (``item``),
face detection (``faces``) and perceptual hashing for the known-fakes bank (``hashing``)."""
