//! The golden conformance suite of the cross-crate tests: what our manager sends and reads,
//! compared byte for byte with recordings of the real Go manager and Go plugins. Every test
//! here finds the corpus through `ocm_plugin_golden` and says so when it is absent.

mod generations;
mod manager_wire;
mod oci;
mod signing;
mod wire;
