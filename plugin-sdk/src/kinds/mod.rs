//! One public module per capability kind: its typed trait, its registration functions and the
//! request and response types of its contract.

pub mod blob_transformer;
pub mod component_lister;
pub mod component_version_repository;
pub mod credential_plugin;
pub mod credential_repository;
pub mod digest_processor;
pub mod input;
pub mod resource_repository;
pub mod signing_handler;
