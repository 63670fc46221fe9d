"""Video: decoding, the single analysis pass, keyframes, borders, stills located in a video."""
