//! The component version repository capability (`componentVersionRepository`, spec §5.1): stores
//! component descriptors and their local resources and sources.

pub mod v1;
