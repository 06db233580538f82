"""Content security (Art 8): screening of user-generated text against lexicons and detectors."""
