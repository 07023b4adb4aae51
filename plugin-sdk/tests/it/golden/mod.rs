//! The SDK's part of the golden conformance suite: our plugins' output compared byte for byte
//! with the real Go test plugins', and the Go manager's recorded requests replayed against our
//! router. The corpus is found through `ocm_plugin_golden`; when it is absent every test here
//! says so in one line.

mod capabilities;
mod replay;

use ocm_plugin_golden::Corpus;
use ocm_plugin_sdk::types::JsonSchema;

/// The schema every Go test plugin declares for `DummyRepository/v1` (spec §0.5).
pub(crate) fn dummy_schema(g: &Corpus) -> JsonSchema {
    let bytes = g.read("go-v0.0.1/DummyRepository-v1.schema.json").unwrap();
    assert_ne!(
        bytes.last(),
        Some(&b'\n'),
        "the schema bytes have no trailing newline"
    );
    JsonSchema(bytes)
}
