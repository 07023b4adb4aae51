//! The credential repository capability (`credentialRepository`, spec §5.2): resolves
//! credentials for a consumer identity from a credential store described by a repository
//! config (a Docker `config.json`, a vault, ...).
//!
//! It maps **consumer identity types** (what a credential graph asks about, e.g.
//! `OCIRegistry`) to **repository config types** (what describes the store, e.g.
//! `DockerConfig/v1`).

pub mod v1;
