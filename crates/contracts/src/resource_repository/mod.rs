//! The resource repository capability (`resourceRepository`, spec §5.5): downloads and uploads
//! resources addressed by their access, independent of any component version repository.

pub mod v1;
