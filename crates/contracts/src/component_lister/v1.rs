//! Version 1 of the component lister contract.

use ocm_plugin_types::{Credentials, Raw};
use serde::{Deserialize, Deserializer, Serialize};

pub use crate::identity::{GetIdentityRequest, GetIdentityResponse};
use crate::{Error, Result, async_trait};

/// `POST /components/list`: `{"repository": <spec>, "last": "<last name of the previous page>"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListComponentsRequest {
    /// The repository spec (its `type` selects the lister).
    pub repository: Raw,
    /// The last name of the previous page; empty for the first page. Names after it come next.
    #[serde(default)]
    pub last: String,
}

/// One page of component names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ListComponentsResponse {
    /// Component names, in the lister's order.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub list: Vec<String>,
    /// Present only when more pages follow: ask again with `last` set to `header.last`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<ListComponentsHeader>,
}

/// Paging information of a [`ListComponentsResponse`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ListComponentsHeader {
    /// The last name of this page.
    #[serde(default)]
    pub last: String,
}

fn null_as_empty<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Vec<String>, D::Error> {
    Ok(Option::<Vec<String>>::deserialize(d)?.unwrap_or_default())
}

/// A component lister.
#[async_trait]
pub trait ComponentLister: Send + Sync + 'static {
    /// One page of the repository's component names, after `request.last`.
    async fn list_components(
        &self,
        request: ListComponentsRequest,
        credentials: &Credentials,
    ) -> Result<ListComponentsResponse>;

    /// The consumer identity for a repository spec.
    async fn get_identity(&self, request: GetIdentityRequest) -> Result<GetIdentityResponse> {
        let _ = request;
        Err(Error::Unsupported("get-identity"))
    }
}
