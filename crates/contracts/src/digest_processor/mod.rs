//! The digest processor capability (`digestProcessorRepository`, spec §5.4): computes the digest
//! of a resource, selected by the resource's access type.

pub mod v1;
