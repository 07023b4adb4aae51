//! Guides, one per capability kind: what the manager sends, what to answer, which errors to
//! use, and a runnable plugin on the derived-schema path.
