//! OAI-PMH responses in the `arXiv` metadata format (to be written).
