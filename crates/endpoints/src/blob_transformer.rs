//! Routes and operations of the blob transformer capability (spec §5.6).

use ocm_plugin_contracts::blob_transformer::v1::{
    BlobTransformer as Trait, TransformBlobRequest, TransformBlobResponse,
};
use ocm_plugin_types::CapabilityKind;

use crate::operation::{Capability, Visit, identity_operation, operation};
use crate::{Auth, Route, answer, identity, post};

/// Transform a blob.
pub const TRANSFORM_BLOB: Route = post("transform-blob", "/blob/transform", Auth::Optional);
/// Consumer identity of a transformer spec.
pub const GET_IDENTITY: Route = identity("get-identity");
/// Every route, in the Go SDK's order.
pub const ROUTES: [&Route; 2] = [&TRANSFORM_BLOB, &GET_IDENTITY];

/// The blob transformer capability.
#[derive(Debug, Clone, Copy)]
pub struct BlobTransformer;

impl Capability for BlobTransformer {
    type Handle = dyn Trait;
    const KIND: CapabilityKind = CapabilityKind::BlobTransformer;
    const WHAT: &'static str = "blob transformer";
    const SPEC: &'static str = "transformer spec";
    const ROUTES: &'static [&'static Route] = &ROUTES;

    fn operations<V: Visit<Self::Handle>>(v: &mut V) {
        v.operation::<TransformBlob>();
        v.identity::<GetIdentity>();
    }
}

operation! {
    /// Transform a blob; picked by `specification.type`.
    TransformBlob {
        handle: dyn Trait,
        route: TRANSFORM_BLOB,
        request: TransformBlobRequest,
        response: TransformBlobResponse,
        spec: |r| Some(&r.specification),
        call: |h, r, c| h.transform_blob(r, c),
        answer: |a| answer::location(&a.location),
    }
}

identity_operation!(dyn Trait);
