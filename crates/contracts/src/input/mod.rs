//! The input capability (`inputRepository`, spec §5.3 and §10.1): turns a constructor input
//! (a file, a directory, ...) into a blob and the resource or source that describes it.

pub mod v1;
