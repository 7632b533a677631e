//! arXiv API Atom responses (to be written).
