//! The signing handler capability (`signingHandler`, plugin module v0.0.7+, spec §10.3): signs a
//! component version's digest and verifies signatures, as its signing configuration says.

pub mod v1;
