//! The blob transformer capability (`blobTransformer`, spec §5.6): turns one blob into another
//! (compress, decompress, convert), as its transformer spec says.

pub mod v1;
