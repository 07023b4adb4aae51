//! The component lister capability (`componentLister`, plugin module v0.0.8+, spec §10.3): the
//! names of the components a repository holds, a page at a time.

pub mod v1;
