//! The credential plugin capability (`credentialPlugin`, the single `bindings/go` module, spec
//! §10.3): turns a credential spec into a consumer identity, and resolves the credentials of such
//! an identity.
//!
//! It shares its paths (`/consumer-identity`, `/resolve`) with the credential repository but not
//! its bodies, so one plugin binary cannot serve both.

pub mod v1;
